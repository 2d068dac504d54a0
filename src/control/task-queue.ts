// A pool's bounded two-class task queue: interactive before batch, FIFO within a class.
import { OrchError } from "../common/errors.js";
import type { Priority } from "./types.js";

/** What a full queue does (SPEC 6.1, DESIGN decision 3). */
export type QueuePolicy = "reject" | "drop-lru";

/** The outcome of an enqueue: refused (full, `reject`), or admitted, maybe evicting another. */
export type EnqueueResult<T> = { admitted: true; evicted?: T } | { admitted: false };

/** Anything queueable: an id unique within the queue, and a dispatch class. */
export interface Queueable {
  taskId: string;
  priority: Priority;
}

/**
 * Bounded queue across both priorities. Each class is an insertion-ordered Map, so enqueue,
 * dequeue and cancel by id are O(1) amortized; only position() walks the queue, which is bounded.
 */
export class TaskQueue<T extends Queueable> {
  readonly policy: QueuePolicy;
  private readonly cap: number;
  private readonly classes: Record<Priority, Map<string, T>> = {
    interactive: new Map(),
    batch: new Map(),
  };

  constructor(capacity: number, policy: QueuePolicy) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be an integer >= 1; got ${capacity}`);
    }
    this.cap = capacity;
    this.policy = policy;
  }

  get size(): number {
    return this.classes.interactive.size + this.classes.batch.size;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Queued tasks per class (SPEC 6.1's per-priority snapshot). */
  counts(): Record<Priority, number> {
    return { interactive: this.classes.interactive.size, batch: this.classes.batch.size };
  }

  has(taskId: string): boolean {
    return this.classes.interactive.has(taskId) || this.classes.batch.has(taskId);
  }

  /**
   * Adds a task at the back of its class. When full: `reject` refuses it; `drop-lru` admits it
   * and evicts the oldest batch task, else the oldest task, which the caller must end with
   * QUEUE_FULL_DROP_LRU. Throws TASK_EXISTS for an id already queued.
   */
  enqueue(item: T): EnqueueResult<T> {
    if (this.has(item.taskId)) {
      throw new OrchError("TASK_EXISTS", `task ${item.taskId} is already queued`);
    }
    let evicted: T | undefined;
    if (this.size >= this.cap) {
      if (this.policy === "reject") return { admitted: false };
      evicted = this.oldest("batch") ?? this.oldest("interactive");
      if (evicted) this.classes[evicted.priority].delete(evicted.taskId);
    }
    this.classes[item.priority].set(item.taskId, item);
    return evicted ? { admitted: true, evicted } : { admitted: true };
  }

  /** The next task to dispatch, without removing it. */
  peek(): T | undefined {
    return this.oldest("interactive") ?? this.oldest("batch");
  }

  /** Removes and returns the next task to dispatch: oldest interactive, else oldest batch. */
  dequeue(): T | undefined {
    const next = this.peek();
    if (next) this.classes[next.priority].delete(next.taskId);
    return next;
  }

  /** Cancels a queued task; undefined when it is not queued (already dispatched or unknown). */
  remove(taskId: string): T | undefined {
    for (const cls of Object.values(this.classes)) {
      const item = cls.get(taskId);
      if (item) {
        cls.delete(taskId);
        return item;
      }
    }
    return undefined;
  }

  /** 0-based index in dispatch order across both classes (DESIGN decision 7). */
  position(taskId: string): number | undefined {
    let index = 0;
    for (const item of this.dispatchOrder()) {
      if (item.taskId === taskId) return index;
      index++;
    }
    return undefined;
  }

  /** The place a new task of this class would take in dispatch order (it joins its class's back). */
  positionFor(priority: Priority): number {
    return priority === "interactive" ? this.classes.interactive.size : this.size;
  }

  /** All queued tasks in dispatch order. */
  items(): T[] {
    return [...this.dispatchOrder()];
  }

  /** Empties the queue, returning its tasks in dispatch order (to re-place a dead pool's work). */
  drainAll(): T[] {
    const all = this.items();
    this.classes.interactive.clear();
    this.classes.batch.clear();
    return all;
  }

  private *dispatchOrder(): Generator<T> {
    yield* this.classes.interactive.values();
    yield* this.classes.batch.values();
  }

  private oldest(priority: Priority): T | undefined {
    return this.classes[priority].values().next().value;
  }
}
