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

export class CatalogStore {
  readonly #store: Store;
  readonly #entries: JsonSublevel;

  constructor(store: Store) {
    this.#store = store;
    this.#entries = store.sublevel("catalog", "entries");
  }

  async get(id: string): Promise<CatalogRecord | undefined> {
    return (await this.#entries.get(id)) as CatalogRecord | undefined;
  }

  /** Inserts or replaces; durable, since the catalog is the operator's record of trusted models. */
  put(record: CatalogRecord): Promise<void> {
    return this.#store.write(
      [{ type: "put", area: this.#entries, key: record.id, value: record }],
      {
        durable: true,
      },
    );
  }

  /** Every entry, by id. */
  async list(): Promise<CatalogRecord[]> {
    return (await this.#entries.values().all()) as CatalogRecord[];
  }

  /** Removes the entry; false when there was none. */
  async delete(id: string): Promise<boolean> {
    if ((await this.get(id)) === undefined) return false;
    await this.#store.write([{ type: "del", area: this.#entries, key: id }], { durable: true });
    return true;
  }
}
