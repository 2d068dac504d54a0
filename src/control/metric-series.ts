// The control plane's Prometheus series by name, help and labels (SPEC 10.1/10.2), the label
// budgets that bound their values, and their registration.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Recommended home-profile buckets (SPEC 10.1). */
export const FIRST_TOKEN_BUCKETS_MS = [50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000];
export const DECODE_BUCKETS_MS = [250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000];

/**
 * Distinct values each label may take (OC-METRICS-7102); a value past its budget is exported as
 * "other", so a misbehaving client can never blow up the series count. `device` is ours.
 */
export const LABEL_BUDGETS: Record<string, number> = {
  engine: 4,
  engine_version: 64,
  pool_id: 256,
  replica_id: 1024,
  priority: 8,
  reason: 16,
  result: 4,
  state: 8,
  model_id: 1024,
  outcome: 4,
  pinned: 2,
  fallback: 2,
  policy: 4,
  device: 64,
};

const POOL = ["engine", "engine_version", "pool_id", "replica_id"];
const POOLED = ["engine", "engine_version", "pool_id"];
type Def = readonly [name: string, help: string, labels: string[]];

// Registration order is scrape order: kv_cache_usage_ratio's collect refreshes every pool series.
const GAUGES = {
  kvRatio: ["kv_cache_usage_ratio", "KV cells used / total on the worker.", POOL],
  cacheCells: ["prompt_cache_kv_cells", "KV cells idle slots keep as prefix cache.", POOL],
  cacheRam: ["prompt_cache_ram_bytes", "Bytes the host-RAM prompt cache holds.", POOL],
  gpuUtil: ["gpu_utilization", "GPU utilization percent (NVML).", [...POOL, "device"]],
  vramUsed: ["vram_used_bytes", "VRAM used in bytes (NVML).", [...POOL, "device"]],
  ready: ["pool_ready", "1 while the pool takes new leases.", ["pool_id"]],
  leases: ["active_leases", "Slots leased to running tasks.", ["pool_id"]],
  queueDepth: ["queue_depth", "Tasks queued per pool and priority.", [...POOLED, "priority"]],
  candidates: ["placement_candidates_considered", "Pools the last placement considered.", []],
  modelState: ["model_state", "1 for a catalog model's current state.", ["model_id", "state"]],
} as const satisfies Record<string, Def>;

const COUNTERS = {
  restarts: ["worker_restarts_total", "Restarts of a pool's worker process.", ["pool_id"]],
  enqueued: ["tasks_enqueued_total", "Tasks admitted into a queue.", [...POOL, "priority"]],
  started: ["tasks_started_total", "Tasks that took a slot.", [...POOL, "priority"]],
  canceled: ["tasks_canceled_total", "Tasks cancelled (client, watchdog).", [...POOL, "reason"]],
  rejected: ["tasks_rejected_total", "Tasks refused or evicted.", ["engine", "reason"]],
  tokensIn: ["tokens_in_total", "Prompt tokens of tasks that ran.", POOL],
  tokensOut: ["tokens_out_total", "Tokens generated.", POOL],
  tokensCached: ["tokens_cached_total", "Prompt tokens served from the prefix cache.", POOL],
  evictions: ["prompt_cache_evictions_total", "Cached prompts dropped for others.", POOL],
  backpressure: ["admission_backpressure_events_total", "Full queues.", ["engine", "policy"]],
  verifications: ["catalog_verifications_total", "Verifications.", ["result", "reason", "engine"]],
  placements: ["placement_decisions_total", "Placements.", ["outcome", "pinned", "fallback"]],
} as const satisfies Record<string, Def>;

export type Collectors = Partial<Record<keyof typeof GAUGES, () => void | Promise<void>>>;

export function series(registry: Registry, collectors: Collectors) {
  const registers = [registry];
  const gauges = {} as Record<keyof typeof GAUGES, Gauge>;
  for (const [key, [name, help, labelNames]] of Object.entries(GAUGES)) {
    const collect = collectors[key as keyof typeof GAUGES];
    gauges[key as keyof typeof GAUGES] = new Gauge({ name, help, labelNames, registers, collect });
  }
  const counters = {} as Record<keyof typeof COUNTERS, Counter>;
  for (const [key, [name, help, labelNames]] of Object.entries(COUNTERS)) {
    counters[key as keyof typeof COUNTERS] = new Counter({ name, help, labelNames, registers });
  }
  const labelNames = [...POOLED, "priority"];
  const firstToken = new Histogram({
    name: "latency_first_token_ms",
    help: "Admission to first token (ms).",
    labelNames,
    buckets: FIRST_TOKEN_BUCKETS_MS,
    registers,
  });
  const decode = new Histogram({
    name: "latency_decode_ms",
    help: "Decode time of a whole stream (ms).",
    labelNames,
    buckets: DECODE_BUCKETS_MS,
    registers,
  });
  return { ...gauges, ...counters, firstToken, decode };
}
