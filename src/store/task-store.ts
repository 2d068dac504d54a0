// Repository of recent task records: lookup by id, newest-first listing, bounded retention.
import type { JsonSublevel, Store } from "./db.js";

/** The task lifecycle in order (STYLE: one ordered enum). */
export const taskStates = [
  "QUEUED",
  "RUNNING",
  "FINISHED_STOP",
  "FINISHED_LENGTH",
  "FINISHED_CANCELLED",
  "FINISHED_ERROR",
] as const;
export type TaskState = (typeof taskStates)[number];

export interface TaskRecord {
  taskId: string;
  sessionId: string;
  state: TaskState;
  poolId?: string;
  modelRef: string;
  priority: string;
  seed: number;
  tokensIn: number;
  tokensOut: number;
  decodeTimeMs: number;
  finishReason?: string;
  error?: { code: string; message: string };
  createdMs: number;
  endedMs?: number;
  engineVersion?: string;
  modelDigest?: string;
  /** Artifact id of the task's event transcript (SPEC 3.6). */
  transcriptArtifactId?: string;
}

export interface TaskStoreOptions {
  /** Records kept; older ones are pruned. Default 10000 (config `store.task_retention`). */
  retain?: number;
  /** Prune once this many records beyond `retain` have piled up, so most puts prune nothing. */
  pruneEvery?: number;
}

// Zero-padded so that the byte order of keys is the order of creation times.
function timeKey(record: TaskRecord): string {
  return `${String(record.createdMs).padStart(15, "0")}!${record.taskId}`;
}

export class TaskStore {
  readonly #store: Store;
  readonly #byId: JsonSublevel;
  readonly #byTime: JsonSublevel;
  readonly #retain: number;
  readonly #pruneEvery: number;
  /** Records on disk; counted on the first put, then kept up to date by puts and prunes. */
  #count: number | undefined;
  /** Puts run one at a time, so the read-modify-write of the index and the count never race. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(store: Store, options: TaskStoreOptions = {}) {
    this.#retain = options.retain ?? 10_000;
    this.#pruneEvery = options.pruneEvery ?? Math.min(100, this.#retain);
    if (!(this.#retain >= 1 && this.#pruneEvery >= 1)) {
      throw new RangeError("TaskStore: retain and pruneEvery must be >= 1");
    }
    this.#store = store;
    this.#byId = store.sublevel("tasks", "by-id");
    this.#byTime = store.sublevel("tasks", "by-time");
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    return (await this.#byId.get(taskId)) as TaskRecord | undefined;
  }

  /** Inserts or replaces the record for `record.taskId`; resolves once it is written. */
  put(record: TaskRecord): Promise<void> {
    const run = this.#writes.then(() => this.#put(record));
    this.#writes = run.catch(() => undefined);
    return run;
  }

  /** Newest first (by `createdMs`), at most `limit` records (default: all). */
  async list(options: { limit?: number } = {}): Promise<TaskRecord[]> {
    const ids = await this.#byTime.values({ reverse: true, limit: options.limit ?? -1 }).all();
    const records = await this.#byId.getMany(ids as string[]);
    // A prune between the two reads can remove a listed record; skip it.
    return records.filter((r) => r !== undefined) as TaskRecord[];
  }

  async #put(record: TaskRecord): Promise<void> {
    this.#count ??= await this.#countRecords();
    const old = await this.get(record.taskId);
    const key = timeKey(record);
    const ops = [
      { type: "put", area: this.#byId, key: record.taskId, value: record },
      { type: "put", area: this.#byTime, key, value: record.taskId },
    ] as const;
    const stale = old && timeKey(old) !== key ? timeKey(old) : undefined;
    await this.#store.write(
      stale ? [...ops, { type: "del", area: this.#byTime, key: stale }] : ops,
    );
    if (old === undefined) this.#count += 1;
    if (this.#count >= this.#retain + this.#pruneEvery) await this.#prune();
  }

  /** Deletes the oldest records beyond `retain`, in one batch. */
  async #prune(): Promise<void> {
    const excess = (this.#count ?? 0) - this.#retain;
    if (excess <= 0) return;
    const oldest = await this.#byTime.iterator({ limit: excess }).all();
    await this.#store.write(
      oldest.flatMap(([key, taskId]) => [
        { type: "del", area: this.#byTime, key },
        { type: "del", area: this.#byId, key: String(taskId) },
      ]),
    );
    this.#count = (this.#count ?? 0) - oldest.length;
  }

  async #countRecords(): Promise<number> {
    let n = 0;
    for await (const _ of this.#byTime.keys()) n += 1;
    return n;
  }
}
