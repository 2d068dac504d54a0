// Checks across keys that JSON Schema cannot express: duplicate ids, pool key combinations, binds, TLS.
import { presetNames } from "../models/presets.js";
import { toCamel } from "./config-keys.js";
import type { Config } from "./config-schema.js";
import type { PoolConfig } from "./config-schema-pool.js";
import { splitProblems } from "./gpu-split.js";

/** llama.cpp's default logical batch, what an unset `batch_size` means. */
const DEFAULT_BATCH_SIZE = 2048;

export function semanticProblems(config: Config): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  config.pools.forEach((pool, i) => {
    const first = seen.get(pool.id);
    if (first !== undefined) {
      problems.push(`pools[${i}].id: duplicate pool id "${pool.id}" (also pools[${first}].id)`);
    } else seen.set(pool.id, i);
    problems.push(...poolProblems(pool, `pools[${i}]`));
  });
  const { supervisor: s, workers: w } = config;
  if (s.backoffMaxMs < s.backoffInitialMs) {
    problems.push("supervisor.backoff_max_ms: must be >= supervisor.backoff_initial_ms");
  }
  if (w.staleAfterMs <= w.heartbeatMs) {
    problems.push("workers.stale_after_ms: must be > workers.heartbeat_ms");
  }
  problems.push(...bindProblems(config), ...tlsProblems(config));
  return problems;
}

/** An external engine needs its endpoint; the native engine has none. */
function engineProblems(pool: PoolConfig, at: string): string[] {
  const adapterKeys = [
    ["endpoint", pool.endpoint],
    ["served_model", pool.servedModel],
    ["token_env", pool.tokenEnv],
    ["metrics_endpoint", pool.metricsEndpoint],
  ] as const;
  if (pool.engine === "llamacpp") {
    return adapterKeys
      .filter(([, value]) => value !== undefined)
      .map(([key]) => `${at}.${key}: only external engines use it; remove it or set engine`);
  }
  return pool.endpoint === undefined
    ? [`${at}.endpoint: engine "${pool.engine}" needs the URL of its HTTP API`]
    : [];
}

function poolProblems(pool: PoolConfig, at: string): string[] {
  const problems: string[] = engineProblems(pool, at);
  if (pool.backend === "cpu") {
    const fix = 'remove it or set backend: "cuda"';
    if (pool.devices) problems.push(`${at}.devices: a cpu pool uses no GPU; ${fix}`);
    if (pool.tensorSplit) problems.push(`${at}.tensor_split: a cpu pool uses no GPU; ${fix}`);
    if (pool.gpuLayers !== 0) problems.push(`${at}.gpu_layers: must be 0 for a cpu pool`);
  }
  problems.push(...splitProblems(pool, at));
  if (pool.devices && pool.tensorSplit && pool.devices.length !== pool.tensorSplit.length) {
    problems.push(`${at}.tensor_split: must have one entry per device (${pool.devices.length})`);
  }
  if (pool.ubatchSize && pool.batchSize && pool.ubatchSize > pool.batchSize) {
    problems.push(`${at}.ubatch_size: must be <= batch_size (${pool.batchSize})`);
  }
  if (pool.prefillChunk && pool.prefillChunk > (pool.batchSize ?? DEFAULT_BATCH_SIZE)) {
    const limit = pool.batchSize ?? DEFAULT_BATCH_SIZE;
    problems.push(`${at}.prefill_chunk: must be <= batch_size (${limit})`);
  }
  if (pool.engine !== "llamacpp" && pool.embeddings) {
    problems.push(`${at}.embeddings: only the native engine (llamacpp) serves embeddings here`);
  }
  if (!pool.embeddings && pool.pooling !== "auto") {
    problems.push(`${at}.pooling: applies to embeddings pools only; set embeddings: true`);
  }
  const builtin = pool.model.match(/^builtin:(.*)$/);
  if (builtin && !(presetNames as readonly string[]).includes(builtin[1] ?? "")) {
    const known = presetNames.map((n) => `"builtin:${n}"`).join(", ");
    problems.push(`${at}.model: unknown built-in model "${pool.model}"; expected one of ${known}`);
  }
  return problems;
}

/** DESIGN decision 1: a non-loopback bind without a token refuses to start. */
function bindProblems(config: Config): string[] {
  if (config.auth.token) return [];
  const binds = [
    ["server.grpc_addr", config.server.grpcAddr],
    ["server.http_addr", config.server.httpAddr],
  ] as const;
  return binds
    .filter(([, addr]) => !isLoopback(addr))
    .map(
      ([key, addr]) =>
        `${key}: "${addr}" is not loopback, so AUTH_TOKEN must be set (NON_LOOPBACK_WITHOUT_TOKEN)`,
    );
}

function tlsProblems(config: Config): string[] {
  const keys = ["cert_file", "key_file", "ca_file"] as const;
  const given = keys.filter((key) => config.tls[toCamel(key) as keyof Config["tls"]] !== undefined);
  if (given.length === 0 || given.length === keys.length) return [];
  const missing = keys.filter((key) => !given.includes(key)).map((key) => `tls.${key}`);
  return [`tls: ${missing.join(", ")} missing: give cert_file, key_file and ca_file together`];
}

function isLoopback(addr: string): boolean {
  const host = addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
