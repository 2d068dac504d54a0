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
