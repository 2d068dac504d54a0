// Which served model a name means: a pool's own ref, else a catalog id or alias whose entry a
// pool serves (by id, ref, file or digest). Pure; the orchestrator feeds it the catalog and pools.
import { OrchError } from "../common/errors.js";
import type { CatalogRecord } from "../store/catalog-store.js";

export interface ServedModel {
  modelRef: string;
  /** sha256 hex of the loaded file, when the pool has described it. */
  digest?: string;
}

function names(entry: CatalogRecord, name: string): boolean {
  return entry.id === name || (entry.aliases ?? []).includes(name);
}

/** The entry a name is the id or an alias of. */
export function namedEntry(
  name: string,
  entries: readonly CatalogRecord[],
): CatalogRecord | undefined {
  return entries.find((e) => e.id === name) ?? entries.find((e) => names(e, name));
}

/**
 * Every active catalog name (ids and aliases) that means the model `pool` serves, the pool's own
 * ref first; a retired name is left out, and so is the ref when a retired entry has it as id.
 */
export function servedNames(pool: ServedModel, entries: readonly CatalogRecord[]): string[] {
  const retired = new Set(entries.filter((e) => e.state === "RETIRED").map((e) => e.id));
  const own = retired.has(pool.modelRef) ? [] : [pool.modelRef];
  const active = entries.filter((e) => e.state !== "RETIRED" && serves(pool, e));
  const catalogNames = active.flatMap((e) => [e.id, ...(e.aliases ?? [])]);
  return [...new Set([...own, ...catalogNames])].filter((n) => !retired.has(n));
}

function serves(pool: ServedModel, entry: CatalogRecord): boolean {
  if ([entry.id, entry.modelRef, entry.localPath].includes(pool.modelRef)) return true;
  return pool.digest !== undefined && `sha256:${pool.digest}` === entry.digest;
}

/**
 * The pool model ref a task naming `name` runs on. A name a pool serves under that very ref wins,
 * so a retired alias never shadows the ref it points at; a retired catalog name is
 * MODEL_DEPRECATED; an unknown name comes back as it is, for admission to refuse.
 */
export function servedModelRef(
  name: string,
  entries: readonly CatalogRecord[],
  pools: readonly ServedModel[],
): string {
  if (pools.some((p) => p.modelRef === name)) return name;
  const entry = entries.find((e) => names(e, name));
  if (!entry) return name;
  if (entry.state === "RETIRED") {
    throw new OrchError("MODEL_DEPRECATED", `model "${name}" is retired; choose an active model`);
  }
  return pools.find((p) => serves(p, entry))?.modelRef ?? name;
}
