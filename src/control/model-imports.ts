// Imports what the local stores already hold: scans the Hugging Face hub cache and Ollama's store
// (folders under the model directories only) and registers each model found where it lies.
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import type { FoundModels, Skipped } from "../models/local-stores/found-models.js";
import { reasonOf } from "../models/local-stores/found-models.js";
import { scanHfCache } from "../models/local-stores/hf-cache.js";
import { scanOllamaStore } from "../models/local-stores/ollama-store.js";
import {
  type LocalStores,
  type StoreKind,
  storeKinds,
} from "../models/local-stores/store-roots.js";
import { confineModelPath, confineStoreDir } from "../models/model-dirs.js";
import type { RegistryOptions } from "../models/pull/ollama-registry.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import { type RegisterDeps, registerFetched } from "./model-register.js";

export interface ImportRequest {
  /** Overrides of the stores' folders; each must lie under the model directories. */
  hfCacheDir?: string;
  ollamaDir?: string;
  /** Which stores to scan; all when empty. */
  stores?: readonly string[];
}

export interface ImportResult {
  records: CatalogRecord[];
  skipped: Skipped[];
}

export interface ImportDeps extends RegisterDeps {
  stores: LocalStores;
  registry: RegistryOptions;
  modelDirs: readonly string[];
  log: Logger;
}

function wanted(stores: readonly string[] | undefined): StoreKind[] {
  const unknown = (stores ?? []).filter((s) => !(storeKinds as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new OrchError(
      "INVALID_PARAMS",
      `unknown store ${unknown.join(", ")}: choose among ${storeKinds.join(", ")}`,
    );
  }
  return stores && stores.length > 0 ? [...new Set(stores as StoreKind[])] : [...storeKinds];
}

export class ModelImports {
  readonly #deps: ImportDeps;
  /** Imports run one at a time: two would race for the same free names. */
  #serial: Promise<unknown> = Promise.resolve();

  constructor(deps: ImportDeps) {
    this.#deps = deps;
  }

  run(request: ImportRequest): Promise<ImportResult> {
    const run = this.#serial.then(() => this.#import(request, wanted(request.stores)));
    this.#serial = run.catch(() => undefined);
    return run;
  }

  async #scan(request: ImportRequest, kind: StoreKind): Promise<FoundModels & { root: string }> {
    const { stores, modelDirs, registry } = this.#deps;
    if (kind === "hf-cache") {
      const root = confineStoreDir(request.hfCacheDir || stores.hfCache, modelDirs);
      return { root, ...(await scanHfCache(root)) };
    }
    const root = confineStoreDir(request.ollamaDir || stores.ollama, modelDirs);
    return { root, ...(await scanOllamaStore(root, registry)) };
  }

  async #import(request: ImportRequest, kinds: StoreKind[]): Promise<ImportResult> {
    const scans = [];
    for (const kind of kinds) scans.push(await this.#scan(request, kind));
    const records: CatalogRecord[] = [];
    const skipped = scans.flatMap((s) => s.skipped);
    for (const { root, found } of scans) {
      for (const model of found) {
        try {
          // A link inside the store must not register a file outside it.
          await confineModelPath(model.path, [root]);
          records.push(await registerFetched(this.#deps, model.source.ref, model, []));
        } catch (error) {
          skipped.push({ path: model.path, reason: reasonOf(error) });
        }
      }
    }
    this.#deps.log.info(
      { imported: records.length, skipped: skipped.length, stores: kinds },
      "local models imported",
    );
    return { records, skipped };
  }
}
