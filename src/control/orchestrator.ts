// The orchestrator's mechanism: admits tasks into per-pool queues, leases slots and runs tasks on
// workers, cancels in any state, and reacts to pools going down. Policy lives in the pure modules.
import { randomUUID } from "node:crypto";
import type { Config } from "../common/config.js";
import { OrchError } from "../common/errors.js";
import { toErrorDetail } from "../common/grpc-errors.js";
import { type Logger, withContext } from "../common/logger.js";
import { FinishReason } from "../gen/llama_orch/v1/common.js";
import type { Admission, TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { TaskStore } from "../store/task-store.js";
import { type AdmissionContext, checkDeadline, validateTask } from "./admission.js";
import type { Reservation } from "./budgets.js";
import { remaining } from "./budgets.js";
import { toBudgetsRemaining, toGenerateRequest, toStoredState } from "./convert.js";
import { onTimeProbability, predictDecodeMs, predictStartMs, retryAfterMs } from "./eta.js";
import { decidePlacement, noCapacityError } from "./placement.js";
import type { PoolRegistry, PoolState } from "./pool-registry.js";
import type { SessionService } from "./session-service.js";
import { isTerminal, type TaskEntry, type TaskHub } from "./task-hub.js";
import { TaskQueue } from "./task-queue.js";
import { type Outcome, TaskRun, workerReset } from "./task-run.js";
import { countPromptTokens } from "./token-count.js";
import type { PoolSnapshot, TaskInput, ValidTask } from "./types.js";

interface Queued {
  taskId: string;
  priority: ValidTask["priority"];
  entry: TaskEntry;
  reservation: Reservation;
  /** Passed to the worker only when the client named its session. */
  sessionKey: string | undefined;
  admission: Admission;
}

export interface OrchestratorDeps {
  config: Config;
  registry: PoolRegistry;
  hub: TaskHub;
  sessions: SessionService;
  tasks: TaskStore;
  log: Logger;
}

const METRICS_EVERY_MS = 1000;

export class Orchestrator {
  private readonly queues = new Map<string, TaskQueue<Queued>>();
  private readonly runs = new Map<string, { run: TaskRun; item: Queued }>();
  private readonly deps: OrchestratorDeps;

  constructor(deps: OrchestratorDeps) {
    this.deps = deps;
    deps.registry.on("ready", (poolId) => this.pump(poolId));
    deps.registry.on("down", (poolId, reason) => this.onPoolDown(poolId, reason));
  }

  queueDepth(poolId: string): number {
    return this.queues.get(poolId)?.size ?? 0;
  }

  snapshots(): PoolSnapshot[] {
    return this.deps.registry
      .snapshots((id) => this.queueDepth(id))
      .map((s) => ({
        ...s,
        warmSessions: [...new Set([...s.warmSessions, ...this.deps.sessions.warmOn(s.poolId)])],
      }));
  }

  /** Validates, reserves the session's budgets, places and queues a task. Throws OrchError. */
  async admit(input: TaskInput, correlationId: string): Promise<TaskEntry> {
    const { registry, hub, sessions } = this.deps;
    const modelRef = input.modelRef ?? this.defaultModelRef();
    const promptTokens = await countPromptTokens(registry, modelRef, input.prompt ?? "");
    const task = validateTask(input, this.admissionContext(promptTokens));
    if (hub.get(task.taskId))
      throw new OrchError("TASK_EXISTS", `task ${task.taskId} already exists; use a new task_id`);
    const now = Date.now();
    const hold = { tokens: task.maxTokens, timeMs: task.deadlineMs };
    const claim = sessions.claim(task.sessionId, task.budgets, hold, now);
    const snapshots = this.snapshots();
    const decision = decidePlacement({ ...task }, snapshots);
    const log = withContext(this.deps.log, {
      correlation_id: correlationId,
      task_id: task.taskId,
      session_id: task.sessionId,
      seed: task.seed,
    });
    log.info({ placement: decision.log, outcome: decision.kind }, "placement decision");
    if (decision.kind === "no_capacity") throw noCapacityError(decision, 1000);
    const pool = snapshots.find((s) => s.poolId === decision.poolId) as PoolSnapshot;
    const queue = this.queue(pool.poolId);
    const avgTokens = task.expectedTokens ?? task.maxTokens;
    const startMs = predictStartMs({ ...pool, position: queue.size, avgTaskTokens: avgTokens });
    checkDeadline(task, { startMs, decodeMs: predictDecodeMs(avgTokens, pool) });
    const entry = hub.add(task, pool.poolId, now);
    const item: Queued = {
      taskId: task.taskId,
      priority: task.priority,
      entry,
      reservation: claim.reservation,
      sessionKey: input.sessionId === undefined ? undefined : task.sessionId,
      admission: {
        taskId: task.taskId,
        sessionId: task.sessionId,
        queuePosition: 0,
        predictedStartMs: startMs,
        backoffMs: 0,
        poolId: pool.poolId,
        budgets: toBudgetsRemaining(remaining(claim.next.budget)),
      },
    };
    const result = queue.enqueue(item);
    if (!result.admitted) {
      hub.forget(task.taskId);
      const retry = retryAfterMs(pool, avgTokens);
      throw new OrchError(
        "ADMISSION_REJECT",
        `the queue of pool ${pool.poolId} is full (${queue.capacity} tasks, policy reject); retry after ${retry} ms`,
        { retryAfterMs: retry },
      );
    }
    item.admission.queuePosition = queue.position(task.taskId) ?? 0;
    hub.publish(entry, { event: { $case: "admitted", value: item.admission } }, now);
    log.info(
      {
        pool_id: pool.poolId,
        queue_position: item.admission.queuePosition,
        predicted_start_ms: startMs,
      },
      "task admitted",
    );
    // Saved in call order (the stores serialise writes) before the answer, dispatched at once.
    const saved = Promise.all([sessions.commit(claim), this.persist(entry)]);
    if (result.evicted) await this.evict(result.evicted, pool);
    this.pump(pool.poolId);
    await saved;
    return entry;
  }

  /**
   * Cancels a task in any state; resolves once it has ended, with how many tokens its clients got
   * before the cancel took effect (none follow). `cancelled` is false when it had already ended.
   */
  async cancel(taskId: string): Promise<{ cancelled: boolean; tokensDelivered: number }> {
    const entry = this.deps.hub.get(taskId);
    if (!entry)
      throw new OrchError(
        "TASK_NOT_FOUND",
        `no task ${taskId}: it never existed or ended long ago`,
      );
    const tokensDelivered = () => entry.events.filter((e) => e.event?.$case === "token").length;
    if (isTerminal(entry.state)) return { cancelled: false, tokensDelivered: tokensDelivered() };
    entry.cancelRequested = true;
    const delivered = tokensDelivered();
    const queued = this.queues.get(entry.poolId)?.remove(taskId);
    if (queued) {
      const end = {
        tokensIn: entry.task.promptTokens,
        tokensOut: 0,
        decodeMs: 0,
        decodeTimeMs: 0,
        finishReason: FinishReason.FINISH_REASON_CANCELLED,
        cachedTokens: 0,
        ttftMs: 0,
        promptMs: 0,
      };
      await this.endUnrun(queued, { event: { $case: "end", value: end } });
    } else {
      await this.runs.get(taskId)?.run.cancel();
    }
    return { cancelled: true, tokensDelivered: delivered };
  }

  /** Leases free slots of a ready pool to its queued tasks. */
  pump(poolId: string): void {
    const pool = this.deps.registry.get(poolId);
    const queue = this.queues.get(poolId);
    if (!pool?.ready || pool.draining || !pool.client || !queue) return;
    const slots = pool.description?.slots ?? 0;
    while (pool.activeLeases < slots && queue.size > 0) {
      const item = queue.dequeue() as Queued;
      this.dispatch(pool, item);
    }
  }

  /** Ends every running task of a pool with `error` (drain deadline). */
  failRunning(poolId: string, error: OrchError): void {
    for (const { run } of this.runs.values()) if (run.pool.poolId === poolId) run.fail(error);
  }

  runningOn(poolId: string): number {
    let n = 0;
    for (const { run } of this.runs.values()) if (run.pool.poolId === poolId) n++;
    return n;
  }

  /**
   * Places a pool's queued tasks again: on other pools (or on this one too with `includeSelf`,
   * after a reload changed its model). A task no pool takes waits in its queue, or ends with
   * `orFail` when given.
   */
  async replaceQueued(poolId: string, options: { includeSelf?: boolean; orFail?: OrchError } = {}) {
    const queue = this.queues.get(poolId);
    if (!queue) return;
    for (const item of queue.drainAll()) {
      const pools = this.snapshots().filter((s) => options.includeSelf || s.poolId !== poolId);
      const decision = decidePlacement({ ...item.entry.task }, pools);
      if (decision.kind === "assigned" && this.queue(decision.poolId).enqueue(item).admitted) {
        item.entry.poolId = decision.poolId;
      } else if (options.orFail) {
        const error = toErrorDetail(options.orFail, { poolId });
        await this.endUnrun(item, { event: { $case: "error", value: error } });
      } else {
        queue.enqueue(item);
      }
    }
    for (const pool of this.deps.registry.all()) this.pump(pool.poolId);
  }

  private dispatch(pool: PoolState, item: Queued): void {
    pool.activeLeases += 1;
    const { entry } = item;
    entry.poolId = pool.poolId;
    const model = pool.description?.model;
    const started = {
      queuePosition: item.admission.queuePosition,
      predictedStartMs: item.admission.predictedStartMs,
      poolId: pool.poolId,
      engineVersion: pool.description?.engineVersion ?? "",
      modelDigest: model?.digest ?? "",
    };
    this.publish(entry, { event: { $case: "started", value: started } });
    const run = new TaskRun(entry, pool, {
      wallMs: this.deps.config.timeouts.wallMs,
      idleMs: this.deps.config.timeouts.idleMs,
      metricsEveryMs: METRICS_EVERY_MS,
      publish: (e, event) => this.publish(e, event),
      metricsFrame: (e) => this.metricsFrame(e),
      finished: (r, outcome) => void this.onFinished(r, item, outcome),
    });
    this.runs.set(item.taskId, { run, item });
    withContext(this.deps.log, {
      task_id: item.taskId,
      pool_id: pool.poolId,
      engine_version: started.engineVersion,
      model_digest: started.modelDigest,
      seed: entry.task.seed,
    }).info("stream start");
    run.start(toGenerateRequest(entry.task, item.sessionKey));
  }

  private async onFinished(run: TaskRun, item: Queued, outcome: Outcome): Promise<void> {
    this.runs.delete(item.taskId);
    const pool = run.pool;
    pool.activeLeases = Math.max(0, pool.activeLeases - 1);
    const end = outcome.kind === "end" ? outcome.end : undefined;
    const kv =
      end && item.sessionKey && end.finishReason !== FinishReason.FINISH_REASON_ERROR
        ? { poolId: pool.poolId, kvWarm: true, kvBytes: 0 }
        : undefined;
    const used = { tokens: end?.tokensOut ?? 0, timeMs: end?.decodeTimeMs ?? 0 };
    withContext(this.deps.log, {
      task_id: item.taskId,
      session_id: item.entry.task.sessionId,
      pool_id: pool.poolId,
      tokens_in: end?.tokensIn,
      tokens_out: end?.tokensOut,
      decode_time_ms: end?.decodeTimeMs,
      error_code: outcome.kind === "error" ? outcome.error.code : undefined,
    }).info("stream end");
    this.pump(pool.poolId);
    await Promise.all([
      this.deps.sessions.settle(item.entry.task.sessionId, item.reservation, used, kv),
      this.persist(item.entry, end?.tokensOut, end?.decodeTimeMs, outcome),
    ]);
  }

  private onPoolDown(poolId: string, reason: string): void {
    this.deps.log.warn({ pool_id: poolId, reason }, "pool down");
    this.deps.sessions.coolPool(poolId);
    for (const { run } of [...this.runs.values()]) {
      if (run.pool.poolId === poolId) run.fail(workerReset(poolId, reason));
    }
    const pool = this.deps.registry.get(poolId);
    if (pool) pool.activeLeases = 0;
    void this.replaceQueued(poolId);
  }

  private async evict(item: Queued, pool: PoolSnapshot): Promise<void> {
    const retry = retryAfterMs(pool, item.entry.task.maxTokens);
    const error = new OrchError(
      "QUEUE_FULL_DROP_LRU",
      `the queue of pool ${pool.poolId} was full (policy drop-lru) and this task was the oldest batch task; retry after ${retry} ms`,
      { retryAfterMs: retry },
    );
    await this.endUnrun(item, {
      event: { $case: "error", value: toErrorDetail(error, { poolId: pool.poolId }) },
    });
  }

  /** Ends a task that never ran: its terminal event, its reservation back, its record saved. */
  private async endUnrun(item: Queued, terminal: TaskEvent): Promise<void> {
    this.publish(item.entry, terminal);
    await Promise.all([
      this.deps.sessions.release(item.entry.task.sessionId, item.reservation),
      this.persist(item.entry),
    ]);
  }

  private publish(entry: TaskEntry, event: TaskEvent): void {
    this.deps.hub.publish(entry, event, Date.now());
  }

  private metricsFrame(entry: TaskEntry): TaskEvent {
    const pool = this.snapshots().find((s) => s.poolId === entry.poolId);
    const elapsed = Date.now() - entry.createdMs;
    const predicted = pool ? predictDecodeMs(entry.task.maxTokens, pool) : 0;
    const session = this.deps.sessions.get(entry.task.sessionId);
    return {
      event: {
        $case: "metrics",
        value: {
          queueDepth: this.queueDepth(entry.poolId),
          onTimeProbability: onTimeProbability(entry.task.deadlineMs - elapsed, predicted),
          kvWarmth: session?.kvWarm ?? false,
          budgets: session ? toBudgetsRemaining(remaining(session.budget)) : undefined,
        },
      },
    };
  }

  private persist(
    entry: TaskEntry,
    tokensOut = 0,
    decodeTimeMs = 0,
    outcome?: Outcome,
  ): Promise<void> {
    const pool = this.deps.registry.get(entry.poolId);
    const error =
      outcome?.kind === "error"
        ? { code: outcome.error.code, message: outcome.error.message }
        : undefined;
    return this.deps.tasks.put({
      taskId: entry.task.taskId,
      sessionId: entry.task.sessionId,
      state: toStoredState(entry.state),
      poolId: entry.poolId,
      modelRef: entry.task.modelRef,
      priority: entry.task.priority,
      seed: entry.task.seed,
      tokensIn: entry.task.promptTokens,
      tokensOut,
      decodeTimeMs,
      error,
      createdMs: entry.createdMs,
      endedMs: entry.endedMs,
      engineVersion: pool?.description?.engineVersion,
      modelDigest: pool?.description?.model?.digest,
    });
  }

  private queue(poolId: string): TaskQueue<Queued> {
    let queue = this.queues.get(poolId);
    if (!queue) {
      const { queueCapacity, policy } = this.deps.config.admission;
      queue = new TaskQueue<Queued>(queueCapacity, policy);
      this.queues.set(poolId, queue);
    }
    return queue;
  }

  private defaultModelRef(): string {
    return this.deps.config.pools[0]?.model ?? "builtin:tiny";
  }

  private admissionContext(promptTokens: number): AdmissionContext {
    const models = new Map<string, { ctxMax: number; retired: boolean }>();
    for (const pool of this.deps.registry.all()) {
      const ctxMax = pool.description?.model?.contextSize ?? 0;
      if (!pool.ready || ctxMax === 0) continue;
      const known = models.get(pool.modelRef);
      models.set(pool.modelRef, { ctxMax: Math.max(ctxMax, known?.ctxMax ?? 0), retired: false });
    }
    const { defaultDeadlineMs, maxTokensLimit } = this.deps.config.admission;
    return {
      models,
      defaultModelRef: this.defaultModelRef(),
      defaultDeadlineMs,
      maxTokensLimit,
      newId: randomUUID,
      promptTokens: () => promptTokens,
    };
  }
}
