// Registers a model now on this disk (pulled, or found in a local store) in the catalog under the
// names asked for plus those its source suggests that are still free, and records its provenance.
import { appendFile } from "node:fs/promises";
import type { FetchedModel } from "../models/fetched-model.js";
import { ggufMetadata } from "../models/gguf-facts.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import type { ModelCatalog } from "./model-catalog.js";

export interface RegisterDeps {
  catalog: ModelCatalog;
  /** Append-only provenance JSONL (seed MODP): one line per registered model. */
  provenancePath: string;
}

/** Suggested names no other entry holds: a suggestion never takes a name from another model. */
async function freeNames(catalog: ModelCatalog, id: string, names: readonly string[]) {
  const others = (await catalog.list()).filter((r) => r.id !== id);
  const taken = new Set(others.flatMap((r) => [r.id, ...(r.aliases ?? [])]));
  return names.filter((name) => name !== id && !taken.has(name));
}

/** `ref`: what was asked for (the provenance line's `ref`); the entry's id is the source's. */
export async function registerFetched(
  deps: RegisterDeps,
  ref: string,
  fetched: FetchedModel,
  aliases: readonly string[],
): Promise<CatalogRecord> {
  const id = fetched.source.ref.trim();
  const store = fetched.source.store;
  const metadata = {
    ...(await ggufMetadata(fetched.path)),
    // The file belongs to another tool's store: a cache GC unregisters it, never deletes it.
    ...(store ? { local_store: store } : {}),
  };
  const suggested = await freeNames(deps.catalog, id, fetched.aliases ?? []);
  const names = [...new Set([...aliases, ...suggested])];
  const record = await deps.catalog.registerPulled({ ...fetched, metadata }, names, Date.now());
  const line = {
    time: new Date().toISOString(),
    ref,
    url: fetched.source.url,
    commit: fetched.source.commit ?? null,
    digest: record.digest,
    verified: fetched.verified,
    catalog_id: record.id,
    local_store: store ?? null,
  };
  await appendFile(deps.provenancePath, `${JSON.stringify(line)}\n`);
  return record;
}
