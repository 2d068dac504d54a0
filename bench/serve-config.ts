// The `llama-orch serve` config the benchmarks start: loopback on free ports, a fresh data dir,
// one CPU pool with the settings the peer side gets; logging and everything else at defaults.

export interface CpuPool {
  modelRef: string;
  slots: number;
  contextPerSequence: number;
  threads: number;
}

export function cpuPoolServeConfig(pool: CpuPool): string {
  const fields = [
    `id: cpu-0`,
    `model: "${pool.modelRef}"`,
    `backend: cpu`,
    `slots: ${pool.slots}`,
    `context_size: ${pool.contextPerSequence}`,
    `threads: ${pool.threads}`,
    `kv_type: f16`,
  ];
  return [
    `server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }`,
    `data_dir: "{data_dir}"`,
    `pools:`,
    `  - { ${fields.join(", ")} }`,
    "",
  ].join("\n");
}
