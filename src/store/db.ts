// The control plane's one LevelDB: opens it, hands out its sublevels, and commits atomic writes.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { StartupError } from "../common/startup-error.js";

/** Top-level areas of the database; repositories may nest sublevels inside their own area. */
export const storeAreas = ["sessions", "tasks", "catalog", "artifacts"] as const;
export type StoreArea = (typeof storeAreas)[number];

type Root = ClassicLevel<string, unknown>;

function jsonSublevel(db: Root, path: string[]) {
  return db.sublevel<string, unknown>(path, { valueEncoding: "json" });
}

/** A sublevel with string keys and JSON values. */
export type JsonSublevel = ReturnType<typeof jsonSublevel>;

export type StoreOp =
  | { type: "put"; area: JsonSublevel; key: string; value: unknown }
  | { type: "del"; area: JsonSublevel; key: string };

export interface WriteOptions {
  /**
   * Wait for fsync. Every write is in the OS before `write` resolves, so it survives a crash of
   * this process; `durable` also survives a power cut, at the price of a disk flush.
   */
  durable?: boolean;
}

export interface Store {
  /** The LevelDB directory, `<dataDir>/db`. */
  readonly location: string;
  /** The sublevel of an area, or of a path nested in it: `sublevel("tasks", "by-time")`. */
  sublevel(area: StoreArea, ...nested: string[]): JsonSublevel;
  /** Commits all operations atomically, across sublevels. */
  write(ops: readonly StoreOp[], options?: WriteOptions): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating if missing) the database under `<dataDir>/db`. */
export async function openStore(dataDir: string): Promise<Store> {
  const location = join(dataDir, "db");
  await mkdir(location, { recursive: true });
  const db: Root = new ClassicLevel<string, unknown>(location, { valueEncoding: "json" });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === "LEVEL_LOCKED") {
      throw new StartupError(
        `data_dir: ${dataDir} is in use by another llama-orch serve (its database is locked); stop that one or set another data_dir`,
        { cause: err },
      );
    }
    throw new Error(`cannot open the database at ${location}`, { cause: err });
  }
  return new LevelStore(db, location);
}

class LevelStore implements Store {
  // One instance per path: sublevels are cheap, but every caller should see the same one.
  readonly #sublevels = new Map<string, JsonSublevel>();

  constructor(
    private readonly db: Root,
    readonly location: string,
  ) {}

  sublevel(area: StoreArea, ...nested: string[]): JsonSublevel {
    const path = [area, ...nested];
    const key = path.join("/");
    let sub = this.#sublevels.get(key);
    if (!sub) {
      sub = jsonSublevel(this.db, path);
      this.#sublevels.set(key, sub);
    }
    return sub;
  }

  async write(ops: readonly StoreOp[], options: WriteOptions = {}): Promise<void> {
    if (ops.length === 0) return;
    const batch = ops.map((op) =>
      op.type === "put"
        ? { type: "put" as const, sublevel: op.area, key: op.key, value: op.value }
        : { type: "del" as const, sublevel: op.area, key: op.key },
    );
    await this.db.batch(batch, { sync: options.durable ?? false });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
