// Repository of model catalog entries: one JSON record per id in the `catalog` sublevel.
import type { JsonSublevel, Store } from "./db.js";

export const modelStates = ["ACTIVE", "RETIRED"] as const;
export type ModelState = (typeof modelStates)[number];

export const verifications = ["UNVERIFIED", "PASS", "WARN", "FAIL"] as const;
export type Verification = (typeof verifications)[number];

export interface CatalogRecord {
  id: string;
  /** Other names of this entry (e.g. given to a pull); unique across the catalog. */
  aliases?: string[];
  modelRef: string;
  localPath: string;
  /** `sha256:<hex>` of the file when the entry was created. */
  digest: string;
  /** `sha256:<hex>` the creator expected; absent when none was given. */
  expectedDigest?: string;
  sizeBytes: number;
  state: ModelState;
  createdMs: number;
  lastVerifiedMs?: number;
  verification: Verification;
  /** Why the last verification warned or failed. */
  verificationDetail?: string;
  metadata: Record<string, string>;
  /** Garbage collection keeps a pinned entry's file. */
  pinned?: boolean;
  /** When a pool last loaded the model or a task last named it (epoch ms). */
  lastUsedMs?: number;
}

/**
 * The catalog's entries, kept in memory as well: admission reads the list twice per task. This
 * is the sublevel's only writer in the process (the database is locked to one serve), so the
 * copy changes only with a write here. Records come out frozen: the copy is shared.
 */
export class CatalogStore {
  readonly #store: Store;
  readonly #entries: JsonSublevel;
  #all: Promise<Map<string, CatalogRecord>> | undefined;

  constructor(store: Store) {
    this.#store = store;
    this.#entries = store.sublevel("catalog", "entries");
  }

  async get(id: string): Promise<CatalogRecord | undefined> {
    return (await this.#cached()).get(id);
  }

  /** Inserts or replaces; durable, since the catalog is the operator's record of trusted models. */
  async put(record: CatalogRecord): Promise<void> {
    await this.#store.write([{ type: "put", area: this.#entries, key: record.id, value: record }], {
      durable: true,
    });
    (await this.#cached()).set(record.id, frozen(record));
  }

  /** Every entry, by id. */
  async list(): Promise<CatalogRecord[]> {
    return [...(await this.#cached()).values()];
  }

  /** Removes the entry; false when there was none. */
  async delete(id: string): Promise<boolean> {
    if ((await this.get(id)) === undefined) return false;
    await this.#store.write([{ type: "del", area: this.#entries, key: id }], { durable: true });
    (await this.#cached()).delete(id);
    return true;
  }

  /**
   * Read once from the database, in key order. A write that lands while the read is running is
   * applied to the map after it, so the map ends up with it either way.
   */
  #cached(): Promise<Map<string, CatalogRecord>> {
    this.#all ??= this.#read().catch((error: unknown) => {
      this.#all = undefined; // the next call reads again
      throw error;
    });
    return this.#all;
  }

  async #read(): Promise<Map<string, CatalogRecord>> {
    const records = (await this.#entries.values().all()) as CatalogRecord[];
    return new Map(records.map((record) => [record.id, frozen(record)]));
  }
}

function frozen(record: CatalogRecord): CatalogRecord {
  const { aliases, metadata } = record;
  return Object.freeze({
    ...record,
    ...(aliases !== undefined ? { aliases: Object.freeze([...aliases]) as string[] } : {}),
    metadata: Object.freeze({ ...metadata }),
  });
}
