// Repository of session records (metadata and budgets only, never prompts), keyed by session id.
import type { JsonSublevel, Store } from "./db.js";

/** The one thing this repository needs of a record; the record type itself is the policy's. */
export interface KeyedBySession {
  readonly sessionId: string;
}

export class SessionStore<R extends KeyedBySession> {
  readonly #store: Store;
  readonly #area: JsonSublevel;

  constructor(store: Store) {
    this.#store = store;
    this.#area = store.sublevel("sessions");
  }

  // Values are read back exactly as `put` wrote them, so the cast restores the caller's type.
  async get(sessionId: string): Promise<R | undefined> {
    return (await this.#area.get(sessionId)) as R | undefined;
  }

  /** Durable: budgets are settled here, and a restart must not hand spent budget back. */
  put(record: R): Promise<void> {
    const op = { type: "put", area: this.#area, key: record.sessionId, value: record } as const;
    return this.#store.write([op], { durable: true });
  }

  delete(sessionId: string): Promise<void> {
    return this.#store.write([{ type: "del", area: this.#area, key: sessionId }], {
      durable: true,
    });
  }

  /** Every stored session, by id; sessions are few (bounded by TTL), so no paging. */
  async list(): Promise<R[]> {
    return (await this.#area.values().all()) as R[];
  }
}
