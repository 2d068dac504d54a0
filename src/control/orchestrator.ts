// The orchestrator's mechanism: admits tasks into per-pool queues, leases slots and runs tasks on
// workers, cancels in any state, and reacts to pools going down. Policy lives in the pure modules.
import type { Config } from "../common/config.js";
import { OrchError } from "../common/errors.js";
import { toErrorDetail } from "../common/grpc-errors.js";
import { type Logger, withContext } from "../common/logger.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { TaskStore } from "../store/task-store.js";
import { remaining } from "./budgets.js";
import { toBudgetsRemaining } from "./convert.js";
import { checkDeadline } from "./deadline-check.js";
import { Dispatcher, type QueuedTask } from "./dispatcher.js";
import { predictDecodeMs } from "./eta.js";
import type { ModelCatalog } from "./model-catalog.js";
import type { ModelTrust } from "./model-trust.js";
import { decidePlacement, noCapacityError, type PlacementDecision } from "./placement.js";
import type { PoolRegistry } from "./pool-registry.js";
import { PrefixIndex } from "./prefix-index.js";
import { expectedTokens, predictedStart } from "./queue-eta.js";
import { queueFullEviction, queueFullRejection } from "./queue-full.js";
import type { SessionService } from "./session-service.js";
import { cancelledUnrun, isTerminal, type TaskEntry, type TaskHub } from "./task-hub.js";
import { validatedTask } from "./task-model.js";
import { TaskQueue } from "./task-queue.js";
import { saveTask } from "./task-records.js";
import type { PoolSnapshot, Priority, TaskInput, ValidTask } from "./types.js";
import { workerReset } from "./worker-client.js";

export interface OrchestratorDeps {
  config: Config;
  registry: PoolRegistry;
  hub: TaskHub;
  sessions: SessionService;
  tasks: TaskStore;
  log: Logger;
  catalog: Pick<ModelCatalog, "retiredRefs" | "list" | "touch">;
  /** catalog.trust: an untrusted model is refused (strict) or warned about (permissive). */
  trust?: Pick<ModelTrust, "admit">;
  placed?(decision: PlacementDecision): void;
}

export class Orchestrator {
  private readonly queues = new Map<string, TaskQueue<QueuedTask>>();
  private readonly dispatcher: Dispatcher;
  private readonly deps: OrchestratorDeps;
  private readonly prefixes = new PrefixIndex();

  constructor(deps: OrchestratorDeps) {
    this.deps = deps;
    this.dispatcher = new Dispatcher({
      ...deps,
      queueDepth: (poolId) => this.queueDepth(poolId),
      snapshot: (poolId) => this.snapshots().find((s) => s.poolId === poolId),
      slotFreed: (poolId) => this.pump(poolId),
    });
    deps.registry.on("ready", (poolId) => this.pump(poolId));
    deps.registry.on("down", (poolId, reason) => this.onPoolDown(poolId, reason));
  }

  queueDepth(poolId: string): number {
    return this.queues.get(poolId)?.size ?? 0;
  }

  /** The pool's queued tasks in dispatch order, and its running ones. */
  work(poolId: string): { queued: TaskEntry[]; running: TaskEntry[] } {
    const queued = (this.queues.get(poolId)?.items() ?? []).map((item) => item.entry);
    return { queued, running: this.dispatcher.runningOn(poolId).map((run) => run.entry) };
  }

  queueCounts(poolId: string): Record<Priority, number> {
    return this.queues.get(poolId)?.counts() ?? { interactive: 0, batch: 0 };
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
    const { hub, sessions } = this.deps;
    const { task, tokenIds } = await validatedTask(this.deps, input, correlationId);
    if (hub.get(task.taskId))
      throw new OrchError("TASK_EXISTS", `task ${task.taskId} already exists; use a new task_id`);
    const now = Date.now();
    const hold = { tokens: task.maxTokens, timeMs: task.deadlineMs };
    const claim = sessions.claim(task.sessionId, task.budgets, hold, now);
    const log = withContext(this.deps.log, {
      correlation_id: correlationId,
      task_id: task.taskId,
      session_id: task.sessionId,
      seed: task.seed,
    });
    const pool = this.place(task, log);
    const queue = this.queue(pool.poolId);
    const avgTokens = expectedTokens(task);
    // From the task's real place in dispatch order: an interactive task goes ahead of batch ones.
    const { queued, running } = this.work(pool.poolId);
    const startMs = predictedStart(pool, queued, running, queue.positionFor(task.priority));
    checkDeadline(task, { startMs, decodeMs: predictDecodeMs(avgTokens, pool) });
    const entry = hub.add(task, pool.poolId, now);
    entry.correlationId = correlationId;
    entry.owner = input.owner;
    const item: QueuedTask = {
      taskId: task.taskId,
      priority: task.priority,
      entry,
      reservation: claim.reservation,
      sessionKey: input.sessionId === undefined ? undefined : task.sessionId,
      promptTokenIds: tokenIds,
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
    const evicted = this.enqueue(item, pool, queue, log);
    // The session's reservation is durable before the answer; the task is dispatched at once and
    // its QUEUED record (stores serialise writes, so it lands before its end record) not awaited.
    const committed = sessions.commit(claim);
    const recorded = saveTask(this.deps.tasks, this.deps.registry, entry);
    recorded.catch((error: unknown) =>
      this.deps.log.error({ task_id: task.taskId, error: String(error) }, "task record not saved"),
    );
    if (evicted) await this.evict(evicted, pool);
    this.pump(pool.poolId);
    await committed;
    return entry;
  }

  /** The pool placement picks for the task, its reasons logged; throws when none can take it. */
  private place(task: ValidTask, log: Logger): PoolSnapshot {
    const snapshots = this.snapshots();
    const estKvBytes =
      (task.promptTokens + task.maxTokens) * this.deps.registry.kvBytesPerToken(task.modelRef);
    const expectedCachedTokens = this.prefixes.expectedCachedTokens(task);
    const decision = decidePlacement({ ...task, estKvBytes, expectedCachedTokens }, snapshots);
    log.info(
      {
        placement: decision.log,
        outcome: decision.kind,
        expected_cached_tokens: expectedCachedTokens,
      },
      "placement decision",
    );
    this.deps.placed?.(decision);
    if (decision.kind === "no_capacity") throw noCapacityError(decision, 1000);
    return snapshots.find((s) => s.poolId === decision.poolId) as PoolSnapshot;
  }

  /** Queues an admitted task (a full `reject` queue refuses it); returns the task it evicted. */
  private enqueue(
    item: QueuedTask,
    pool: PoolSnapshot,
    queue: TaskQueue<QueuedTask>,
    log: Logger,
  ): QueuedTask | undefined {
    const { hub } = this.deps;
    const result = queue.enqueue(item);
    if (!result.admitted) {
      hub.forget(item.taskId);
      throw queueFullRejection(pool, queue.capacity, expectedTokens(item.entry.task));
    }
    item.admission.queuePosition = queue.position(item.taskId) ?? 0;
    this.prefixes.record(item.entry.task, pool.poolId);
    hub.publish(item.entry, { event: { $case: "admitted", value: item.admission } }, Date.now());
    log.info(
      {
        pool_id: pool.poolId,
        queue_position: item.admission.queuePosition,
        predicted_start_ms: item.admission.predictedStartMs,
      },
      "task admitted",
    );
    return result.evicted;
  }

  /**
   * Cancels a task in any state; resolves once it has ended, with how many tokens its clients got
   * before the cancel took effect (none follow). `cancelled` is false when it had already ended.
   */
  async cancel(taskId: string): Promise<{ cancelled: boolean; tokensDelivered: number }> {
    const entry = this.deps.hub.get(taskId);
    if (!entry)
      throw new OrchError("TASK_NOT_FOUND", `no task ${taskId}: never existed or ended long ago`);
    // Counted before the flag: from here on the hub publishes no token for this task.
    const delivered = entry.events.filter((e) => e.event?.$case === "token").length;
    if (isTerminal(entry.state)) return { cancelled: false, tokensDelivered: delivered };
    entry.cancelRequested = true;
    const queued = this.queues.get(entry.poolId)?.remove(taskId);
    if (queued) {
      await this.endUnrun(queued, { event: { $case: "end", value: cancelledUnrun(entry.task) } });
    } else {
      await this.dispatcher.run(taskId)?.cancel();
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
      const item = queue.dequeue() as QueuedTask;
      this.dispatcher.dispatch(pool, item);
    }
  }

  /** Ends every running task of a pool with `error` (drain deadline). */
  failRunning(poolId: string, error: OrchError): void {
    this.dispatcher.failRunning(poolId, error);
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

  private onPoolDown(poolId: string, reason: string): void {
    this.deps.log.warn({ pool_id: poolId, reason }, "pool down");
    this.prefixes.forgetPool(poolId);
    this.deps.sessions.coolPool(poolId);
    this.dispatcher.failRunning(poolId, workerReset(poolId, reason));
    void this.replaceQueued(poolId);
  }

  private async evict(item: QueuedTask, pool: PoolSnapshot): Promise<void> {
    const error = queueFullEviction(pool, item.entry.task.maxTokens);
    await this.endUnrun(item, {
      event: { $case: "error", value: toErrorDetail(error, { poolId: pool.poolId }) },
    });
  }

  /** Ends a task that never ran: its terminal event, its reservation back, its record saved. */
  private async endUnrun(item: QueuedTask, terminal: TaskEvent): Promise<void> {
    this.publish(item.entry, terminal);
    await Promise.all([
      this.deps.sessions.release(item.entry.task.sessionId, item.reservation),
      saveTask(this.deps.tasks, this.deps.registry, item.entry),
    ]);
  }

  private publish(entry: TaskEntry, event: TaskEvent): void {
    this.deps.hub.publish(entry, event, Date.now());
  }

  private queue(poolId: string): TaskQueue<QueuedTask> {
    let queue = this.queues.get(poolId);
    if (!queue) {
      const { queueCapacity, policy } = this.deps.config.admission;
      queue = new TaskQueue<QueuedTask>(queueCapacity, policy);
      this.queues.set(poolId, queue);
    }
    return queue;
  }
}
