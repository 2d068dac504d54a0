// The control plane's Prometheus series (SPEC 10.1/10.2): counters fed by task events and admission
// outcomes, gauges read from the pool registry, the queues and the catalog at scrape time.
import { Registry } from "prom-client";
import { OrchError } from "../common/errors.js";
import { FinishReason } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import { type Collectors, LABEL_BUDGETS, series } from "./metric-series.js";
import type { ModelCatalog } from "./model-catalog.js";
import { registerModelServerMetrics } from "./model-server-metrics.js";
import type { PlacementDecision } from "./placement.js";
import type { PoolRegistry, PoolState } from "./pool-registry.js";
import type { TaskEntry } from "./task-hub.js";

/** Admission failures counted under their own reason; any other code is counted as OTHER. */
const REJECT_REASONS = new Set([
  "ADMISSION_REJECT",
  "QUEUE_FULL_DROP_LRU",
  "INVALID_PARAMS",
  "POOL_UNREADY",
  "POOL_UNAVAILABLE",
  "REPLICA_EXHAUSTED",
  "DEADLINE_UNMET",
  "MODEL_DEPRECATED",
  "BUDGET_EXCEEDED",
  "SESSION_TURNS_EXCEEDED",
]);

type Labels = Record<string, string>;
type CatalogSource = Pick<ModelCatalog, "list">;

/** Every pool runs exactly one worker process, its only replica. */
const REPLICA = "r0";

export class ControlMetrics {
  readonly registry = new Registry();
  private readonly seen = new Map<string, Set<string>>();
  /** The orchestrator's own queue counts, read at scrape time (it is built after the metrics). */
  private queueCounts: (poolId: string) => Record<string, number> = () => ({});
  private readonly restartsSeen = new Map<string, number>();
  private readonly evictionsSeen = new Map<string, number>();
  private readonly pools: PoolRegistry;
  private readonly c: ReturnType<typeof series>;

  constructor(pools: PoolRegistry, catalog: CatalogSource) {
    this.pools = pools;
    this.c = series(this.registry, this.collectors(catalog));
    registerModelServerMetrics(this.registry, pools, (poolId) => {
      const counts = this.queueCounts(poolId);
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    });
  }

  /** Where queue depths come from: the orchestrator's queues. */
  watchQueues(counts: (poolId: string) => Record<string, number>): void {
    this.queueCounts = counts;
  }

  /** A task event the hub accepted: counters and latencies. */
  taskEvent(entry: TaskEntry, event: TaskEvent, nowMs: number): void {
    const e = event.event;
    const priority = entry.task.priority;
    if (e?.$case === "admitted") {
      this.c.enqueued.inc(this.bound({ ...this.poolLabels(entry.poolId), priority }));
    } else if (e?.$case === "started") {
      this.c.started.inc(this.bound({ ...this.poolLabels(entry.poolId), priority }));
    } else if (e?.$case === "token" && e.value.i === 0) {
      const { replica_id: _, ...labels } = this.poolLabels(entry.poolId);
      this.c.firstToken.observe(this.bound({ ...labels, priority }), nowMs - entry.createdMs);
    } else if (e?.$case === "end") {
      // A task cancelled in its queue ends without having started.
      const started = entry.events.some((ev) => ev.event?.$case === "started");
      this.ended(entry, e.value, !started);
    } else if (e?.$case === "error") {
      this.failed(entry, e.value.code);
    }
  }

  /** An admission the orchestrator refused (validation, placement, full queue, budgets). */
  admissionFailed(error: unknown): void {
    const code = error instanceof OrchError ? error.code : "INTERNAL";
    this.rejected(REJECT_REASONS.has(code) ? code : "OTHER");
  }

  /** Placement's decision for one task (SPEC 6.4 DecisionLog). */
  placement(decision: PlacementDecision): void {
    const { log } = decision;
    const outcome = decision.kind;
    const labels = { outcome, pinned: String(log.pinned), fallback: String(log.fallbackUsed) };
    this.c.placements.inc(this.bound(labels));
    this.c.candidates.set(log.candidates.length);
  }

  /** A catalog verification ran (pass/warn count as pass: the file hashed as recorded). */
  verified(record: CatalogRecord): void {
    const result = record.verification === "FAIL" ? "fail" : "pass";
    const reason = record.verification === "FAIL" ? "digest_mismatch" : record.verification;
    this.c.verifications.inc(
      this.bound({ result, reason: reason.toLowerCase(), engine: "llamacpp" }),
    );
  }

  private ended(
    entry: TaskEntry,
    end: {
      tokensIn: number;
      tokensOut: number;
      cachedTokens: number;
      decodeTimeMs: number;
      finishReason: FinishReason;
    },
    neverRan: boolean,
  ): void {
    const labels = this.poolLabels(entry.poolId);
    if (end.finishReason === FinishReason.FINISH_REASON_CANCELLED) {
      this.c.canceled.inc(this.bound({ ...labels, reason: "client" }));
    }
    if (neverRan) return;
    this.c.tokensIn.inc(this.bound(labels), end.tokensIn);
    this.c.tokensOut.inc(this.bound(labels), end.tokensOut);
    this.c.tokensCached.inc(this.bound(labels), end.cachedTokens);
    const { replica_id: _, ...rest } = labels;
    this.c.decode.observe(this.bound({ ...rest, priority: entry.task.priority }), end.decodeTimeMs);
  }

  private failed(entry: TaskEntry, code: string): void {
    if (code === "DECODE_TIMEOUT") {
      this.c.canceled.inc(this.bound({ ...this.poolLabels(entry.poolId), reason: "watchdog" }));
    } else if (code === "QUEUE_FULL_DROP_LRU") {
      this.rejected(code);
    }
  }

  private rejected(reason: string): void {
    this.c.rejected.inc(this.bound({ engine: "llamacpp", reason }));
    const policy = { ADMISSION_REJECT: "reject", QUEUE_FULL_DROP_LRU: "drop-lru" }[reason];
    if (policy) this.c.backpressure.inc(this.bound({ engine: "llamacpp", policy }));
  }

  private poolLabels(poolId: string): Labels {
    return labelsOf(this.pools.get(poolId), poolId);
  }

  /** Applies the label budgets: a value beyond its label's budget becomes "other". */
  private bound(labels: Labels): Labels {
    const out: Labels = {};
    for (const [name, value] of Object.entries(labels)) {
      const values = this.seen.get(name) ?? new Set<string>();
      this.seen.set(name, values);
      const budget = LABEL_BUDGETS[name] ?? 16;
      if (!values.has(value) && values.size < budget) values.add(value);
      out[name] = values.has(value) ? value : "other";
    }
    return out;
  }

  /** Gauges computed at scrape time from live state. */
  private collectors(catalog: CatalogSource): Collectors {
    return {
      queueDepth: () => this.scrapeQueues(),
      kvRatio: () => {
        const c = this.c;
        const gauges = [
          c.kvRatio,
          c.gpuUtil,
          c.vramUsed,
          c.ready,
          c.leases,
          c.cacheCells,
          c.cacheRam,
        ];
        for (const gauge of gauges) gauge.reset();
        for (const pool of this.pools.all()) this.scrapePool(pool);
      },
      modelState: async () => {
        this.c.modelState.reset();
        for (const record of await catalog.list()) {
          const state = record.state === "RETIRED" ? "Retired" : "Active";
          for (const s of ["Active", "Retired"]) {
            const labels = this.bound({ model_id: record.id, state: s });
            this.c.modelState.set(labels, s === state ? 1 : 0);
          }
        }
      },
    };
  }

  private scrapeQueues(): void {
    this.c.queueDepth.reset();
    for (const pool of this.pools.all()) {
      const { replica_id: _, ...labels } = labelsOf(pool, pool.poolId);
      for (const priority of ["interactive", "batch"]) {
        const n = this.queueCounts(pool.poolId)[priority] ?? 0;
        this.c.queueDepth.set(this.bound({ ...labels, priority }), n);
      }
    }
  }

  private scrapePool(pool: PoolState): void {
    const c = this.c;
    const labels = this.bound(labelsOf(pool, pool.poolId));
    const pid = { pool_id: labels.pool_id as string };
    c.ready.set(pid, pool.ready && !pool.draining ? 1 : 0);
    c.leases.set(pid, pool.activeLeases);
    const delta = pool.restarts - (this.restartsSeen.get(pool.poolId) ?? 0);
    if (delta > 0) c.restarts.inc(pid, delta);
    this.restartsSeen.set(pool.poolId, pool.restarts);
    const t = pool.telemetry;
    if (!t) return;
    if (t.kvCellsTotal > 0) c.kvRatio.set(labels, t.kvCellsUsed / t.kvCellsTotal);
    this.scrapeCache(pool.poolId, labels, t);
    for (const d of t.devices) {
      const withDevice = this.bound({ ...labels, device: String(d.index) });
      if (d.utilizationGpuPercent !== undefined) c.gpuUtil.set(withDevice, d.utilizationGpuPercent);
      if (d.memoryUsedBytes !== undefined) c.vramUsed.set(withDevice, d.memoryUsedBytes);
    }
  }

  private scrapeCache(
    poolId: string,
    labels: Labels,
    t: NonNullable<PoolState["telemetry"]>,
  ): void {
    this.c.cacheCells.set(labels, t.kvCellsCached);
    this.c.cacheRam.set(labels, t.cacheRamBytes);
    const evicted = newSince(this.evictionsSeen, poolId, t.cacheEvictions);
    if (evicted > 0) this.c.evictions.inc(labels, evicted);
  }
}

/** The worker's cumulative eviction count restarts from 0 with the worker: count what is new. */
function newSince(seen: Map<string, number>, key: string, now: number): number {
  const before = seen.get(key) ?? 0;
  seen.set(key, now);
  return now >= before ? now - before : now;
}

function labelsOf(pool: PoolState | undefined, poolId: string): Labels {
  return {
    engine: pool?.description?.engine || "llamacpp",
    engine_version: pool?.description?.engineVersion || "unknown",
    pool_id: poolId,
    replica_id: REPLICA,
  };
}
