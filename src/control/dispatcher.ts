// Runs leased tasks on their pool's worker: started event, the worker stream, lease release, budget
// settlement and the task record when each ends.
import type { Config } from "../common/config.js";
import type { OrchError } from "../common/errors.js";
import { type Logger, withContext } from "../common/logger.js";
import { FinishReason } from "../gen/llama_orch/v1/common.js";
import type { Admission, TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { TaskStore } from "../store/task-store.js";
import { type Reservation, remaining } from "./budgets.js";
import { toBudgetsRemaining, toGenerateRequest } from "./convert.js";
import {
  blendObserved,
  deliveredTokensPerSecond,
  onTimeProbability,
  predictDecodeMs,
} from "./eta.js";
import type { PoolRegistry, PoolState } from "./pool-registry.js";
import type { SessionService } from "./session-service.js";
import type { TaskEntry, TaskHub } from "./task-hub.js";
import { saveTask } from "./task-records.js";
import { type Outcome, TaskRun } from "./task-run.js";
import type { PoolSnapshot, ValidTask } from "./types.js";

/** A task between admission and its end. */
export interface QueuedTask {
  taskId: string;
  priority: ValidTask["priority"];
  entry: TaskEntry;
  reservation: Reservation;
  /** Passed to the worker only when the client named its session. */
  sessionKey: string | undefined;
  /** A chat's prompt as the worker tokenized it at admission; empty: `prompt` goes as text. */
  promptTokenIds: readonly number[];
  admission: Admission;
}

export interface DispatcherDeps {
  config: Config;
  registry: PoolRegistry;
  hub: TaskHub;
  sessions: SessionService;
  tasks: TaskStore;
  log: Logger;
  queueDepth(poolId: string): number;
  snapshot(poolId: string): PoolSnapshot | undefined;
  /** A lease came back: the pool can take its next queued task. */
  slotFreed(poolId: string): void;
}

export class Dispatcher {
  private readonly runs = new Map<string, TaskRun>();
  private readonly deps: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
  }

  run(taskId: string): TaskRun | undefined {
    return this.runs.get(taskId);
  }

  runningOn(poolId: string): TaskRun[] {
    return [...this.runs.values()].filter((run) => run.pool.poolId === poolId);
  }

  /** Ends every running task of a pool with `error` (worker gone, drain deadline). */
  failRunning(poolId: string, error: OrchError): void {
    for (const run of this.runningOn(poolId)) run.fail(error);
  }

  /** Takes a lease on the pool and starts the task on its worker. */
  dispatch(pool: PoolState, item: QueuedTask): void {
    this.deps.registry.takeLease(pool.poolId);
    const { entry } = item;
    entry.poolId = pool.poolId;
    // Sent as the task takes its slot: the figures true now (head of the queue, starting at once),
    // not the admission's, which the 202 / `admitted` already carried.
    const started = {
      queuePosition: 0,
      predictedStartMs: 0,
      poolId: pool.poolId,
      engineVersion: pool.description?.engineVersion ?? "",
      modelDigest: pool.description?.model?.digest ?? "",
    };
    this.publish(entry, { event: { $case: "started", value: started } });
    const run = new TaskRun(entry, pool, {
      wallMs: this.deps.config.timeouts.wallMs,
      idleMs: this.deps.config.timeouts.idleMs,
      metricsEveryMs: this.deps.config.streams.metricsMs,
      publish: (e, event) => this.publish(e, event),
      metricsFrame: (e) => this.metricsFrame(e),
      finished: (r, outcome) => void this.finished(r, item, outcome),
    });
    this.runs.set(item.taskId, run);
    const { engineVersion, modelDigest } = started;
    withContext(this.deps.log, {
      correlation_id: item.entry.correlationId,
      task_id: item.taskId,
      session_id: entry.task.sessionId,
      pool_id: pool.poolId,
      engine_version: engineVersion,
      model_digest: modelDigest,
      seed: entry.task.seed,
      queue_position: item.admission.queuePosition,
    }).info("stream start");
    run.start(toGenerateRequest(entry.task, item.sessionKey, item.promptTokenIds));
  }

  private async finished(run: TaskRun, item: QueuedTask, outcome: Outcome): Promise<void> {
    this.runs.delete(item.taskId);
    const pool = run.pool;
    this.deps.registry.releaseLease(pool.poolId);
    const end = outcome.kind === "end" ? outcome.end : undefined;
    const warm = end && item.sessionKey && end.finishReason !== FinishReason.FINISH_REASON_ERROR;
    const perToken = pool.description?.model?.kvBytesPerToken ?? 0;
    const kvBytes = Math.round(((end?.tokensIn ?? 0) + (end?.tokensOut ?? 0)) * perToken);
    const kv = warm ? { poolId: pool.poolId, kvWarm: true, kvBytes } : undefined;
    const used = { tokens: end?.tokensOut ?? 0, timeMs: end?.decodeTimeMs ?? 0 };
    withContext(this.deps.log, {
      correlation_id: item.entry.correlationId,
      task_id: item.taskId,
      session_id: item.entry.task.sessionId,
      pool_id: pool.poolId,
      engine_version: pool.description?.engineVersion,
      model_digest: pool.description?.model?.digest,
      seed: item.entry.task.seed,
      tokens_in: end?.tokensIn,
      tokens_out: end?.tokensOut,
      decode_time_ms: end?.decodeTimeMs,
      error_code: outcome.kind === "error" ? outcome.error.code : undefined,
    }).info("stream end");
    // A lost worker stream must not hand the freed slot to the same dead worker.
    if (outcome.kind === "error" && outcome.error.code === "WORKER_RESET") {
      this.deps.registry.suspect(pool.poolId, outcome.error.message);
    }
    const delivered = deliveredTokensPerSecond(
      item.entry.tokensOut,
      item.entry.firstTokenMs,
      item.entry.endedMs ?? Date.now(),
    );
    if (delivered)
      pool.observedTokensPerSecond = blendObserved(pool.observedTokensPerSecond, delivered);
    this.deps.slotFreed(pool.poolId);
    const { sessions, tasks, registry } = this.deps;
    await Promise.all([
      sessions.settle(item.entry.task.sessionId, item.reservation, used, kv),
      saveTask(tasks, registry, item.entry, outcome),
    ]);
  }

  private publish(entry: TaskEntry, event: TaskEvent): void {
    this.deps.hub.publish(entry, event, Date.now());
  }

  private metricsFrame(entry: TaskEntry): TaskEvent {
    const pool = this.deps.snapshot(entry.poolId);
    const elapsed = Date.now() - entry.createdMs;
    const predicted = pool ? predictDecodeMs(entry.task.maxTokens, pool) : 0;
    const session = this.deps.sessions.get(entry.task.sessionId);
    return {
      event: {
        $case: "metrics",
        value: {
          queueDepth: this.deps.queueDepth(entry.poolId),
          onTimeProbability: onTimeProbability(entry.task.deadlineMs - elapsed, predicted),
          kvWarmth: session?.kvWarm ?? false,
          budgets: session ? toBudgetsRemaining(remaining(session.budget)) : undefined,
        },
      },
    };
  }
}
