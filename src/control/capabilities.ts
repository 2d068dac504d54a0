// Capabilities built from the live pools (engine, version, ctx_max, slots, models, features).
import type { Capabilities, EngineCapability } from "../gen/llama_orch/v1/orchestrator.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import { servedNames } from "./model-names.js";
import { distrust } from "./model-trust.js";
import type { PoolRegistry } from "./pool-registry.js";

export const API_VERSION = "1.0.0";

/** What every llama.cpp pool of ours can do. */
const LLAMACPP_FEATURES = {
  streaming: true,
  cancel: true,
  sessions_kv_reuse: true,
  strict_determinism: true,
  seed: true,
  stop_strings: true,
  gbnf_grammar: true,
  continuous_batching: true,
};

/** The catalog as capabilities see it: names to list, and whether untrusted ones are served. */
export interface CatalogView {
  entries: readonly CatalogRecord[];
  /** catalog.trust strict: untrusted names cannot be served, so they are not listed. */
  strict: boolean;
}

/**
 * What can be served now: ready pools that are not draining, with every active catalog name
 * (id or alias) of their models; retired names are left out, untrusted ones marked.
 */
export function capabilities(
  registry: PoolRegistry,
  maxTokensOut: number,
  catalog: CatalogView = { entries: [], strict: false },
): Capabilities {
  const byEngine = new Map<string, EngineCapability>();
  for (const pool of registry.all()) {
    const d = pool.description;
    if (!pool.ready || pool.draining || !d) continue;
    const engine = d.engine || "llamacpp";
    const cap = byEngine.get(engine) ?? {
      engine,
      engineVersion: d.engineVersion,
      ctxMax: 0,
      slotsTotal: 0,
      maxTokensOut,
      batching: true,
      supportedWorkloads: ["completion"],
      models: [],
      untrustedModels: [],
      pools: [],
      // An adapter pool reports its engine's features; the native worker reports none.
      features: { ...(Object.keys(d.features).length > 0 ? d.features : LLAMACPP_FEATURES) },
    };
    cap.ctxMax = Math.max(cap.ctxMax, d.model?.contextSize ?? 0);
    cap.slotsTotal += d.slots;
    if (d.model?.pooling && !cap.supportedWorkloads.includes("embedding")) {
      cap.supportedWorkloads.push("embedding");
    }
    const served = { modelRef: pool.modelRef, digest: d.model?.digest || undefined };
    for (const name of servedNames(served, catalog.entries)) {
      if (cap.models.includes(name)) continue;
      const untrusted = distrust(name, catalog.entries) !== undefined;
      if (untrusted && catalog.strict) continue;
      cap.models.push(name);
      if (untrusted) cap.untrustedModels.push(name);
    }
    cap.pools.push(pool.poolId);
    byEngine.set(engine, cap);
  }
  return { apiVersion: API_VERSION, engines: [...byEngine.values()] };
}
