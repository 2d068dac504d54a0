// The control plane's live view of every pool: its worker, telemetry, readiness, drain state and
// leases, fed by registrations and heartbeats; the source of placement's pool snapshots.
import { EventEmitter } from "node:events";
import { OrchError } from "../common/errors.js";
import { grpcClientCredentials, type TlsMaterial } from "../common/tls.js";
import type {
  HeartbeatRequest,
  RegisterRequest,
  Telemetry,
  WorkerDescription,
} from "../gen/llama_orch/v1/worker.js";
import { priorTokensPerSecond } from "./eta.js";
import type { PoolSnapshot } from "./types.js";
import { WorkerClient } from "./worker-client.js";

export interface PoolState {
  poolId: string;
  /** Spawned and supervised by this control plane (else a remote worker registered it). */
  local: boolean;
  backend: string;
  modelRef: string;
  workerId: string | undefined;
  /** The registered worker process ("" for one registered by hand) and its last beat number. */
  instanceId: string;
  sequence: number;
  address: string | undefined;
  client: WorkerClient | undefined;
  description: WorkerDescription | undefined;
  telemetry: Telemetry | undefined;
  lastHeartbeatMs: number;
  ready: boolean;
  /** Takes no new leases; written only through PoolRegistry.setDraining. */
  readonly draining: boolean;
  /** The local worker's crash breaker opened: no restarts until the pool's Restart re-arms it. */
  failed: boolean;
  lastError: string;
  /** Tasks running on the pool; written only through PoolRegistry.takeLease / releaseLease. */
  readonly activeLeases: number;
  restarts: number;
  /** Tokens/s finished tasks were delivered on this pool (eta.ts blendObserved). */
  observedTokensPerSecond?: number;
}

/** The registry's own view: the one writer of leases and the draining flag. */
type OwnedPool = { -readonly [K in keyof PoolState]: PoolState[K] };

export declare interface PoolRegistry {
  on(event: "ready", listener: (poolId: string) => void): this;
  on(event: "down", listener: (poolId: string, reason: string) => void): this;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: typed events for an EventEmitter
export class PoolRegistry extends EventEmitter {
  private readonly pools = new Map<string, OwnedPool>();
  private nextWorker = 1;
  private readonly authToken: string | undefined;
  private readonly tls: TlsMaterial | undefined;

  /**
   * `authToken` is sent on every call to workers (they require it when it is set); with `tls`,
   * workers are dialled over mutual TLS.
   */
  constructor(authToken?: string, tls?: TlsMaterial) {
    super();
    this.authToken = authToken;
    this.tls = tls;
  }

  private workerClient(address: string, poolId: string): WorkerClient {
    const credentials = grpcClientCredentials(this.tls, address);
    return new WorkerClient({ address, poolId, credentials, authToken: this.authToken });
  }

  /** A pool this control plane will supervise; unready until its worker registers. */
  declare(poolId: string, backend: string, modelRef: string): PoolState {
    const pool = this.ensure(poolId);
    pool.local = true;
    pool.backend = backend;
    pool.modelRef = modelRef;
    return pool;
  }

  get(poolId: string): PoolState | undefined {
    return this.pools.get(poolId);
  }

  /** The model's KV bytes per token as a worker serving it measured; 0 before any registered. */
  kvBytesPerToken(modelRef: string): number {
    const pool = this.all().find((p) => p.modelRef === modelRef && p.description);
    return pool?.description?.model?.kvBytesPerToken ?? 0;
  }

  /** Asks the worker at `address` what it serves: a registration that brought no description. */
  async describeAt(address: string): Promise<WorkerDescription> {
    const client = this.workerClient(address, "");
    try {
      return await client.describe();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new OrchError(
        "INVALID_PARAMS",
        `no llama-orch worker answered at ${address} (${why}); start one there ` +
          "with `llama-orch worker --listen` and register its address",
      );
    } finally {
      client.close();
    }
  }

  all(): PoolState[] {
    return [...this.pools.values()].sort((a, b) => a.poolId.localeCompare(b.poolId));
  }

  register(request: RegisterRequest, nowMs: number): string {
    const pool = this.ensure(request.poolId);
    // A new process took over while the old one's streams may still look open (its host rebooted
    // behind a dead link): those tasks end now instead of waiting for the stale limit.
    if (pool.client && pool.instanceId !== "" && pool.instanceId !== request.instanceId) {
      this.markDown(pool.poolId, "its worker restarted (a new instance registered)");
    }
    pool.client?.close();
    pool.workerId = `w${this.nextWorker++}-${request.poolId}`;
    pool.instanceId = request.instanceId;
    pool.sequence = request.sequence;
    pool.address = request.address;
    pool.client = this.workerClient(request.address, request.poolId);
    pool.description = request.description;
    pool.telemetry = request.telemetry;
    pool.modelRef = request.description?.model?.modelRef || pool.modelRef;
    pool.backend = request.description?.backend || pool.backend;
    pool.lastHeartbeatMs = nowMs;
    pool.lastError = request.telemetry?.unreadyReason ?? "";
    pool.failed = false;
    pool.ready = pool.lastError === "";
    if (pool.ready) this.emit("ready", pool.poolId);
    return pool.workerId;
  }

  /**
   * False when the worker is unknown (e.g. the control plane restarted, or worker ids were reissued
   * to another instance): it registers again. A beat not newer than the last one is not fresh.
   */
  heartbeat(request: HeartbeatRequest, nowMs: number): boolean {
    const { workerId, poolId, telemetry, instanceId, sequence } = request;
    const pool = this.pools.get(poolId);
    if (!pool || pool.workerId !== workerId || pool.instanceId !== instanceId) return false;
    if (sequence <= pool.sequence) return true;
    pool.sequence = sequence;
    pool.telemetry = telemetry;
    pool.lastHeartbeatMs = nowMs;
    // An adapter worker is alive while its engine is not: unready, with the engine's reason.
    const unready = telemetry?.unreadyReason ?? "";
    if (unready !== "") {
      pool.ready = false;
      pool.lastError = unready;
      return true;
    }
    if (!pool.ready && pool.client) {
      pool.ready = true;
      pool.lastError = "";
      this.emit("ready", poolId);
    }
    return true;
  }

  /**
   * A call to the pool's worker failed at the transport: the worker may be dead while its exit or
   * silence is not yet noticed. No new leases until it proves alive again: its next heartbeat (or
   * registration) makes the pool ready, its exit or staleness marks it down.
   */
  suspect(poolId: string, reason: string): void {
    const pool = this.pools.get(poolId);
    if (!pool?.client || !pool.ready) return;
    pool.ready = false;
    pool.lastError = reason;
  }

  /** A task took one of the pool's slots; its end gives it back with releaseLease. */
  takeLease(poolId: string): void {
    const pool = this.pools.get(poolId);
    if (pool) pool.activeLeases += 1;
  }

  releaseLease(poolId: string): void {
    const pool = this.pools.get(poolId);
    if (pool) pool.activeLeases = Math.max(0, pool.activeLeases - 1);
  }

  /** A draining pool takes no new leases: a drain or shutdown starts it, a reload or purge ends it. */
  setDraining(poolId: string, draining: boolean): void {
    const pool = this.pools.get(poolId);
    if (pool) pool.draining = draining;
  }

  /**
   * The pool's worker is gone (exited, or silent past the stale limit): it holds no leases any
   * more, whatever its tasks' ends still report.
   */
  markDown(poolId: string, reason: string): void {
    const pool = this.pools.get(poolId);
    if (!pool) return;
    pool.activeLeases = 0;
    pool.client?.close();
    pool.client = undefined;
    pool.workerId = undefined;
    pool.ready = false;
    pool.lastError = reason;
    this.emit("down", poolId, reason);
  }

  /** Marks pools whose worker missed heartbeats for `staleAfterMs` as down. */
  expireStale(nowMs: number, staleAfterMs: number): void {
    for (const pool of this.pools.values()) {
      if (pool.client && nowMs - pool.lastHeartbeatMs > staleAfterMs) {
        this.markDown(pool.poolId, `no heartbeat for ${nowMs - pool.lastHeartbeatMs} ms`);
      }
    }
  }

  describe(poolId: string, description: WorkerDescription): void {
    const pool = this.pools.get(poolId);
    if (!pool) return;
    pool.description = description;
    pool.modelRef = description.model?.modelRef || pool.modelRef;
  }

  snapshots(queueDepth: (poolId: string) => number): PoolSnapshot[] {
    return this.all().map((pool) => toSnapshot(pool, queueDepth(pool.poolId)));
  }

  private ensure(poolId: string): OwnedPool {
    let pool = this.pools.get(poolId);
    if (!pool) {
      pool = {
        poolId,
        local: false,
        backend: "",
        modelRef: "",
        workerId: undefined,
        instanceId: "",
        sequence: 0,
        address: undefined,
        client: undefined,
        description: undefined,
        telemetry: undefined,
        lastHeartbeatMs: 0,
        ready: false,
        draining: false,
        failed: false,
        lastError: "",
        activeLeases: 0,
        restarts: 0,
      };
      this.pools.set(poolId, pool);
    }
    return pool;
  }
}

function toSnapshot(pool: PoolState, queueDepth: number): PoolSnapshot {
  const devices = pool.telemetry?.devices ?? [];
  // Unknown when there are no devices or any of them refused the reading.
  const sum = (pick: (d: (typeof devices)[number]) => number | undefined) => {
    const values = devices.map(pick);
    if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
    return (values as number[]).reduce((total, v) => total + v, 0);
  };
  const engine = pool.description?.engine || "llamacpp";
  return {
    poolId: pool.poolId,
    ready: pool.ready,
    draining: pool.draining,
    modelRef: pool.modelRef,
    engine,
    engineVersion: pool.description?.engineVersion ?? "",
    ctxMax: pool.description?.model?.contextSize ?? 0,
    slotsTotal: pool.description?.slots ?? 0,
    activeLeases: pool.activeLeases,
    queueDepth,
    // A native worker serves only our leases, which are exact; its report, a heartbeat old, would
    // still count a task that just ended and push the next one off the pool.
    engineBusy:
      pool.telemetry === undefined || engine === "llamacpp"
        ? undefined
        : pool.telemetry.slotsBusy + pool.telemetry.pending,
    vramFreeBytes: sum((d) => d.memoryFreeBytes),
    vramTotalBytes: sum((d) => d.memoryTotalBytes),
    deviceMask: devices.length > 0 ? devices.map((d) => d.index).join(",") : undefined,
    decodeTokensPerSecond: pool.telemetry?.decodeTokensPerSecond ?? 0,
    observedTokensPerSecond: pool.observedTokensPerSecond,
    priorTokensPerSecond: priorTokensPerSecond(
      pool.backend,
      pool.description?.model?.fileSizeBytes ?? 0,
    ),
    warmSessions: pool.telemetry?.warmSessions ?? [],
    // A native worker reports no features: it has them all.
    isolatesBatch: pool.description?.features.strict_determinism ?? true,
    embeddings: Boolean(pool.description?.model?.pooling),
  };
}
