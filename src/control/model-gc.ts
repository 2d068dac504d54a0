// Pull-cache garbage collection (`models.cache_max_gb`): removes the least recently used pulled
// files until the cache is under its limit; never a file a pool uses, a pinned one, or one outside
// the pull cache (imported and local files are only ever unregistered by `models rm`).
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Logger } from "../common/logger.js";
import { digestCachePath } from "../models/model-digest.js";
import { handoffPath } from "../models/model-handoff.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import type { ModelCatalog } from "./model-catalog.js";

export interface GcRequest {
  dryRun: boolean;
  /** Overrides the configured limit, in bytes. */
  maxBytes?: number;
  /** Entries kept whatever their age: the one a pull just brought. */
  keep?: readonly string[];
}

export interface GcResult {
  /** The entries whose files go (or would go), least recently used first. */
  removed: CatalogRecord[];
  freedBytes: number;
  /** Catalogued bytes in the pull cache after the collection. */
  cacheBytes: number;
  /** 0: no limit. */
  limitBytes: number;
  dryRun: boolean;
}

/** One pulled file with every catalog entry that names it (two refs can resolve to one file). */
interface CachedFile {
  path: string;
  size: number;
  entries: CatalogRecord[];
  lastUsedMs: number;
  removable: boolean;
}

function inside(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

function cachedFiles(
  entries: readonly CatalogRecord[],
  cacheDir: string,
  held: (entry: CatalogRecord) => boolean,
): CachedFile[] {
  const files = new Map<string, CachedFile>();
  for (const entry of entries.filter((e) => inside(e.localPath, cacheDir))) {
    const file = files.get(entry.localPath) ?? {
      path: entry.localPath,
      size: entry.sizeBytes,
      entries: [],
      lastUsedMs: 0,
      removable: true,
    };
    file.entries.push(entry);
    file.lastUsedMs = Math.max(file.lastUsedMs, entry.lastUsedMs ?? entry.createdMs);
    file.removable &&= !held(entry);
    files.set(entry.localPath, file);
  }
  return [...files.values()];
}

/** Pure: which files go to get under `limitBytes`, oldest use first (ties: by path). */
function planCollection(files: CachedFile[], limitBytes: number) {
  let cacheBytes = files.reduce((sum, f) => sum + f.size, 0);
  const doomed: CachedFile[] = [];
  const order = files
    .filter((f) => f.removable)
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.path.localeCompare(b.path));
  for (const file of order) {
    if (cacheBytes <= limitBytes) break;
    doomed.push(file);
    cacheBytes -= file.size;
  }
  return { doomed, cacheBytes };
}

export interface GcDeps {
  catalog: ModelCatalog;
  cacheDir: string;
  handoffDir: string;
  /** From `models.cache_max_gb`; undefined: unlimited. */
  limitBytes: number | undefined;
  /** Whether a pool uses the entry's model now. */
  inUse: (entry: CatalogRecord) => boolean;
  log: Logger;
}

/** Split parts beside a first part `x-00001-of-00003.gguf`; the file itself otherwise. */
async function partsOf(path: string): Promise<string[]> {
  const split = /^(.*)-00001-of-(\d{5})\.gguf$/.exec(basename(path));
  if (!split) return [path];
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const sibling = new RegExp(
    `^${split[1]?.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{5}-of-${split[2]}\\.gguf$`,
  );
  return names.filter((n) => sibling.test(n)).map((n) => join(dirname(path), n));
}

export class ModelGc {
  readonly #deps: GcDeps;
  #serial: Promise<unknown> = Promise.resolve();

  constructor(deps: GcDeps) {
    this.#deps = deps;
  }

  /** One collection at a time: two would count the same bytes twice. */
  collect(request: GcRequest): Promise<GcResult> {
    const run = this.#serial.then(() => this.#collect(request));
    this.#serial = run.catch(() => undefined);
    return run;
  }

  async #collect(request: GcRequest): Promise<GcResult> {
    const { catalog, cacheDir, inUse } = this.#deps;
    const limitBytes = request.maxBytes ?? this.#deps.limitBytes ?? 0;
    const keep = new Set(request.keep ?? []);
    const held = (e: CatalogRecord) => e.pinned === true || keep.has(e.id) || inUse(e);
    const files = cachedFiles(await catalog.list(), cacheDir, held);
    const unlimited = request.maxBytes === undefined && this.#deps.limitBytes === undefined;
    const { doomed, cacheBytes } = unlimited
      ? { doomed: [], cacheBytes: files.reduce((sum, f) => sum + f.size, 0) }
      : planCollection(files, limitBytes);
    if (!request.dryRun) for (const file of doomed) await this.#remove(file);
    const freedBytes = doomed.reduce((sum, f) => sum + f.size, 0);
    const removed = doomed.flatMap((f) => f.entries);
    return {
      removed,
      freedBytes,
      cacheBytes,
      limitBytes: unlimited ? 0 : limitBytes,
      dryRun: request.dryRun,
    };
  }

  /** Entries first: a crash between the two leaves an unlisted file, never an entry without one. */
  async #remove(file: CachedFile): Promise<void> {
    for (const entry of file.entries) {
      await this.#deps.catalog.delete(entry.id);
      await rm(handoffPath(this.#deps.handoffDir, entry.id), { force: true });
    }
    for (const part of await partsOf(file.path)) {
      if (!inside(part, this.#deps.cacheDir)) continue;
      await rm(part, { force: true });
      await rm(digestCachePath(part), { force: true });
    }
    this.#deps.log.info(
      { path: file.path, size_bytes: file.size, ids: file.entries.map((e) => e.id) },
      "pulled model removed from the cache (least recently used)",
    );
  }
}
