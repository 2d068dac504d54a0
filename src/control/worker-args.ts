// The `llama-orch worker` arguments for a local pool, from its config and current model.
import type { Config, PoolConfig } from "../common/config.js";

export function workerArgs(
  pool: PoolConfig,
  controlAddr: string,
  modelRef: string,
  tls: Config["tls"] = {},
): string[] {
  const args = ["--control", controlAddr, "--pool", pool.id, "--model", modelRef];
  args.push("--backend", pool.backend, "--slots", String(pool.slots));
  args.push("--context-size", String(pool.contextSize), "--kv-type", pool.kvType);
  args.push("--gpu-layers", String(pool.gpuLayers));
  args.push("--prompt-cache-mb", String(pool.promptCacheMb));
  if (pool.threads !== undefined) args.push("--threads", String(pool.threads));
  if (pool.batchSize !== undefined) args.push("--batch-size", String(pool.batchSize));
  if (pool.ubatchSize !== undefined) args.push("--ubatch-size", String(pool.ubatchSize));
  if (pool.prefillChunk !== undefined) args.push("--prefill-chunk", String(pool.prefillChunk));
  if (pool.streamIntervalMs !== undefined)
    args.push("--stream-interval-ms", String(pool.streamIntervalMs));
  if (pool.devices?.length) args.push("--devices", pool.devices.join(","));
  if (pool.chatTemplateFile) args.push("--chat-template-file", pool.chatTemplateFile);
  if (pool.tensorSplit?.length) args.push("--tensor-split", pool.tensorSplit.join(","));
  if (pool.embeddings) args.push("--embeddings", "--pooling", pool.pooling);
  if (pool.splitMode !== undefined) args.push("--split-mode", pool.splitMode);
  if (pool.mainGpu !== undefined) args.push("--main-gpu", String(pool.mainGpu));
  if (pool.flashAttn !== undefined) args.push("--flash-attn", pool.flashAttn);
  // The control plane's gRPC edge then only speaks mutual TLS, to local workers as to remote ones.
  if (tls.certFile && tls.keyFile && tls.caFile) {
    args.push("--tls-cert", tls.certFile, "--tls-key", tls.keyFile, "--tls-ca", tls.caFile);
  }
  return pool.engine === "llamacpp" ? args : [...args, ...adapterArgs(pool)];
}

/** An external engine's pool runs the adapter worker; its token is passed by name, never value. */
function adapterArgs(pool: PoolConfig): string[] {
  const args = ["--engine", pool.engine, "--endpoint", pool.endpoint ?? ""];
  if (pool.servedModel !== undefined) args.push("--served-model", pool.servedModel);
  if (pool.tokenEnv !== undefined) args.push("--token-env", pool.tokenEnv);
  if (pool.metricsEndpoint !== undefined) args.push("--metrics-endpoint", pool.metricsEndpoint);
  return args;
}
