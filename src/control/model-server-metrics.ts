// The model-server metrics the Gateway API Inference Extension's Endpoint Picker reads, per model,
// under the names its stock configuration reads for vLLM, so it routes to llama-orch unconfigured.
import { Gauge, type Registry } from "prom-client";
import type { PoolRegistry } from "./pool-registry.js";

/** The picker's defaults for vLLM (as SGLang and others map their own onto them). */
export const MODEL_SERVER_METRICS = {
  waiting: "vllm:num_requests_waiting",
  running: "vllm:num_requests_running",
  kvUsage: "vllm:kv_cache_usage_perc",
} as const;

interface ModelLoad {
  waiting: number;
  running: number;
  kvUsed: number;
  kvTotal: number;
}

/** Sums each model's ready pools: an instance's queue, leases and KV cells, whatever pool holds them. */
function loadByModel(pools: PoolRegistry, queued: (poolId: string) => number) {
  const models = new Map<string, ModelLoad>();
  for (const pool of pools.all()) {
    if (!pool.ready || pool.modelRef === "") continue;
    const load = models.get(pool.modelRef) ?? { waiting: 0, running: 0, kvUsed: 0, kvTotal: 0 };
    load.waiting += queued(pool.poolId);
    load.running += pool.activeLeases;
    load.kvUsed += pool.telemetry?.kvCellsUsed ?? 0;
    load.kvTotal += pool.telemetry?.kvCellsTotal ?? 0;
    models.set(pool.modelRef, load);
  }
  return models;
}

export function registerModelServerMetrics(
  registry: Registry,
  pools: PoolRegistry,
  queued: (poolId: string) => number,
): void {
  const labelNames = ["model_name"];
  const registers = [registry];
  const refresh = () => {
    for (const gauge of [waiting, running, kvUsage]) gauge.reset();
    for (const [model, load] of loadByModel(pools, queued)) {
      const labels = { model_name: model };
      waiting.set(labels, load.waiting);
      running.set(labels, load.running);
      kvUsage.set(labels, load.kvTotal > 0 ? load.kvUsed / load.kvTotal : 0);
    }
  };
  // Registration order is scrape order: the first gauge's collect refreshes all three at once.
  const waiting = new Gauge({
    name: MODEL_SERVER_METRICS.waiting,
    help: "Requests queued for the model (Inference Extension model-server protocol).",
    labelNames,
    registers,
    collect: refresh,
  });
  const running = new Gauge({
    name: MODEL_SERVER_METRICS.running,
    help: "Requests generating on the model (Inference Extension model-server protocol).",
    labelNames,
    registers,
  });
  const kvUsage = new Gauge({
    name: MODEL_SERVER_METRICS.kvUsage,
    help: "KV cache usage of the model's pools, 0..1 (Inference Extension model-server protocol).",
    labelNames,
    registers,
  });
}
