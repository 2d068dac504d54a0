// Capabilities built from the live pools (engine, version, ctx_max, slots, models, features).
import type { Capabilities, EngineCapability } from "../gen/llama_orch/v1/orchestrator.js";
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

/** What can be served now: ready pools that are not draining, their models unless retired. */
export function capabilities(
  registry: PoolRegistry,
  maxTokensOut: number,
  retired: ReadonlySet<string> = new Set(),
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
      pools: [],
      // An adapter pool reports its engine's features; the native worker reports none.
      features: { ...(Object.keys(d.features).length > 0 ? d.features : LLAMACPP_FEATURES) },
    };
    cap.ctxMax = Math.max(cap.ctxMax, d.model?.contextSize ?? 0);
    cap.slotsTotal += d.slots;
    if (d.model?.pooling && !cap.supportedWorkloads.includes("embedding")) {
      cap.supportedWorkloads.push("embedding");
    }
    if (!cap.models.includes(pool.modelRef) && !retired.has(pool.modelRef)) {
      cap.models.push(pool.modelRef);
    }
    cap.pools.push(pool.poolId);
    byEngine.set(engine, cap);
  }
  return { apiVersion: API_VERSION, engines: [...byEngine.values()] };
}
