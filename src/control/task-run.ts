// One task running on a worker: streams its Generate call into the task's events, enforces the
// wall and idle timeouts, and ends it exactly once (end, or a terminal error).
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { fromErrorDetail, toErrorDetail } from "../common/grpc-errors.js";
import { type End, FinishReason } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { GenerateEvent, GenerateRequest } from "../gen/llama_orch/v1/worker.js";
import type { PoolState } from "./pool-registry.js";
import type { TaskEntry } from "./task-hub.js";
import { workerError, workerReset } from "./worker-client.js";

export type Outcome = { kind: "end"; end: End } | { kind: "error"; error: OrchError };

export interface RunHooks {
  wallMs: number;
  idleMs: number;
  metricsEveryMs: number;
  publish(entry: TaskEntry, event: TaskEvent): void;
  metricsFrame(entry: TaskEntry): TaskEvent;
  finished(run: TaskRun, outcome: Outcome): void;
}

/** How long a cancel waits for the worker's own end before ending the task itself. */
const CANCEL_GRACE_MS = 3000;

export class TaskRun {
  readonly entry: TaskEntry;
  readonly pool: PoolState;
  private readonly hooks: RunHooks;
  private call: ClientReadableStream<GenerateEvent> | undefined;
  private done = false;
  private readonly waiters: (() => void)[] = [];
  private watchdog: NodeJS.Timeout | undefined;
  private startedMs = 0;
  private lastEventMs = 0;
  private lastMetricsMs = 0;
  private tokensIn = 0;

  constructor(entry: TaskEntry, pool: PoolState, hooks: RunHooks) {
    this.entry = entry;
    this.pool = pool;
    this.hooks = hooks;
  }

  start(request: GenerateRequest): void {
    const client = this.pool.client;
    if (!client) {
      this.finish({
        kind: "error",
        error: workerReset(this.pool.poolId, "its worker is not connected"),
      });
      return;
    }
    this.startedMs = this.lastEventMs = this.lastMetricsMs = Date.now();
    this.tokensIn = this.entry.task.promptTokens;
    const call = client.generate(request, this.entry.correlationId, this.hooks.wallMs);
    this.call = call;
    call.on("data", (event: GenerateEvent) => this.onEvent(event));
    call.on("error", (error: ServiceError) => this.onCallError(error));
    call.on("end", () =>
      this.finish({
        kind: "error",
        error: workerReset(this.pool.poolId, "its stream ended early"),
      }),
    );
    const tick = Math.max(50, Math.min(1000, Math.floor(this.hooks.idleMs / 4)));
    this.watchdog = setInterval(() => this.checkTimeouts(), tick);
  }

  /** Stops the task; resolves once it has ended. No token is published after this call. */
  cancel(): Promise<void> {
    this.entry.cancelRequested = true;
    if (this.done) return Promise.resolve();
    const ended = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.askWorkerToCancel();
    setTimeout(() => {
      if (this.done) return;
      this.call?.cancel();
      this.finish({ kind: "end", end: this.synthesizedEnd(FinishReason.FINISH_REASON_CANCELLED) });
    }, CANCEL_GRACE_MS).unref();
    return ended;
  }

  /** Ends the task now with `error` (worker reset, drain deadline, timeout) and drops its call. */
  fail(error: OrchError): void {
    if (this.done) return;
    this.entry.cancelRequested = true;
    this.finish({ kind: "error", error });
    this.askWorkerToCancel();
    this.call?.cancel();
  }

  private onEvent(event: GenerateEvent): void {
    if (this.done) return;
    const e = event.event;
    if (!e) return;
    this.lastEventMs = Date.now();
    if (e.$case === "token") {
      this.hooks.publish(this.entry, { event: { $case: "token", value: e.value } });
      if (this.lastEventMs - this.lastMetricsMs >= this.hooks.metricsEveryMs) {
        this.lastMetricsMs = this.lastEventMs;
        this.hooks.publish(this.entry, this.hooks.metricsFrame(this.entry));
      }
    } else if (e.$case === "embeddings") {
      this.hooks.publish(this.entry, { event: { $case: "embeddings", value: e.value } });
    } else if (e.$case === "end") {
      // After a cancel the engine counts tokens the hub never published: report and charge
      // only those delivered.
      const end = this.entry.cancelRequested
        ? { ...e.value, tokensOut: this.delivered() }
        : e.value;
      this.finish({ kind: "end", end });
    } else {
      this.finish({ kind: "error", error: fromErrorDetail(e.value) });
    }
  }

  private onCallError(error: ServiceError): void {
    if (this.done) return;
    this.finish({ kind: "error", error: workerError(this.pool.poolId, "Generate", error) });
  }

  private checkTimeouts(): void {
    const now = Date.now();
    const { wallMs, idleMs } = this.hooks;
    if (now - this.startedMs > wallMs) {
      this.fail(
        new OrchError(
          "DECODE_TIMEOUT",
          `the task ran past the wall timeout of ${wallMs} ms; lower max_tokens or raise timeouts.wall_ms`,
        ),
      );
    } else if (now - this.lastEventMs > idleMs) {
      this.fail(
        new OrchError(
          "DECODE_TIMEOUT",
          `no token for ${idleMs} ms (idle timeout); the pool may be overloaded, retry later or raise timeouts.idle_ms`,
        ),
      );
    }
  }

  private finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.watchdog);
    const poolId = this.pool.poolId;
    this.hooks.publish(
      this.entry,
      outcome.kind === "end"
        ? { event: { $case: "end", value: outcome.end } }
        : { event: { $case: "error", value: toErrorDetail(outcome.error, { poolId }) } },
    );
    this.hooks.finished(this, outcome);
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private askWorkerToCancel(): void {
    // Best effort: the grace timer (or the worker's own end) finishes the task either way.
    this.pool.client
      ?.cancel(this.entry.task.taskId, this.entry.correlationId)
      .catch(() => undefined);
  }

  private delivered(): number {
    return this.entry.events.filter((e) => e.event?.$case === "token").length;
  }

  private synthesizedEnd(reason: FinishReason): End {
    const tokensOut = this.delivered();
    const decodeMs = Date.now() - this.startedMs;
    return {
      tokensIn: this.tokensIn,
      tokensOut,
      decodeMs,
      decodeTimeMs: decodeMs,
      finishReason: reason,
      cachedTokens: 0,
      ttftMs: 0,
      promptMs: 0,
      chatDeltas: [],
    };
  }
}
