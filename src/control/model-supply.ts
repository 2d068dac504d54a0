// Composes what brings models to pools: the trust policy, pulls, imports from local stores,
// pull-cache collection, and the resolver that turns a pool's model name into the file (and
// handoff) its worker loads.
import { join } from "node:path";
import type { Config } from "../common/config.js";
import type { Logger } from "../common/logger.js";
import { localStores } from "../models/local-stores/store-roots.js";
import { allowedModelDirs } from "../models/model-dirs.js";
import { hubFromEnv } from "../models/pull/hf-hub.js";
import { registryFromEnv } from "../models/pull/ollama-registry.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import type { ModelCatalog } from "./model-catalog.js";
import { ModelGc } from "./model-gc.js";
import { ModelImports } from "./model-imports.js";
import { ModelPulls } from "./model-pulls.js";
import { modelResolver } from "./model-resolver.js";
import { ModelTrust } from "./model-trust.js";
import { PoolModels } from "./pool-model-files.js";
import type { PoolRegistry } from "./pool-registry.js";

/** Least interval between two `downloading` events of a pull: a progress bar's refresh. */
const PULL_PROGRESS_MS = 250;

export interface ModelSupply {
  trust: ModelTrust;
  pulls: ModelPulls;
  imports: ModelImports;
  gc: ModelGc;
  poolModels: PoolModels;
}

/** A pool uses an entry when it serves it by one of its names or loaded its file. */
function usedBy(registry: PoolRegistry, poolModels: PoolModels) {
  return (entry: CatalogRecord): boolean => {
    const names = new Set([entry.id, entry.modelRef, entry.localPath, ...(entry.aliases ?? [])]);
    if (registry.all().some((pool) => names.has(pool.modelRef))) return true;
    return poolModels.paths().has(entry.localPath);
  };
}

export function modelSupply(
  config: Config,
  catalog: ModelCatalog,
  registry: PoolRegistry,
  log: Logger,
): ModelSupply {
  const trust = new ModelTrust(config.catalog, log);
  const handoffDir = join(config.dataDir, "handoff");
  const modelDirs = allowedModelDirs(config);
  const { cacheMaxGb } = config.models;
  const provenancePath = join(config.dataDir, "provenance.jsonl");
  const gc = new ModelGc({
    catalog,
    cacheDir: config.models.cacheDir,
    handoffDir,
    limitBytes: cacheMaxGb === undefined ? undefined : Math.floor(cacheMaxGb * 1e9),
    inUse: (entry) => usedBy(registry, poolModels)(entry),
    log,
  });
  const pulls = new ModelPulls({
    catalog,
    fetch: {
      hub: hubFromEnv(),
      cacheDir: config.models.cacheDir,
      modelDirs,
      progressMs: PULL_PROGRESS_MS,
      registry: registryFromEnv(),
      stores: localStores(),
    },
    provenancePath,
    log,
    trust,
    // Over the limit after a pull: older pulled files make room; the new one stays.
    pulled: async (record) => {
      if (cacheMaxGb === undefined) return;
      const result = await gc.collect({ dryRun: false, keep: [record.id] });
      if (result.removed.length > 0)
        log.info(
          { freed_bytes: result.freedBytes, cache_bytes: result.cacheBytes },
          "pull cache collected",
        );
    },
  });
  const poolModels: PoolModels = new PoolModels(
    modelResolver({ catalog, pulls, modelDirs, trust, handoffDir }),
  );
  const imports = new ModelImports({
    catalog,
    provenancePath,
    stores: localStores(),
    registry: registryFromEnv(),
    modelDirs,
    log,
  });
  return { trust, pulls, imports, gc, poolModels };
}
