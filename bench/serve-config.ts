// The `llama-orch serve` config the benchmarks start: loopback on free ports, a fresh data dir,
// one pool with the settings the peer side gets; logging and everything else at defaults.

export interface BenchPool {
  modelRef: string;
  slots: number;
  contextPerSequence: number;
  threads: number;
  /** Absent or 0: a CPU pool; else a cuda pool with that many layers on GPU 0 (-1: all). */
  gpuLayers?: number;
  /** Absent: the pool's default pacing of token messages. */
  streamIntervalMs?: number;
}

export function benchPoolServeConfig(pool: BenchPool): string {
  const gpu = pool.gpuLayers ? [`backend: cuda`, `gpu_layers: ${pool.gpuLayers}`] : [];
  const fields = [
    `id: ${gpu.length > 0 ? "cuda-0" : "cpu-0"}`,
    `model: "${pool.modelRef}"`,
    ...(gpu.length > 0 ? gpu : [`backend: cpu`]),
    `slots: ${pool.slots}`,
    `context_size: ${pool.contextPerSequence}`,
    `threads: ${pool.threads}`,
    `kv_type: f16`,
    ...(pool.streamIntervalMs === undefined
      ? []
      : [`stream_interval_ms: ${pool.streamIntervalMs}`]),
  ];
  return [
    `server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }`,
    `data_dir: "{data_dir}"`,
    `pools:`,
    `  - { ${fields.join(", ")} }`,
    "",
  ].join("\n");
}
