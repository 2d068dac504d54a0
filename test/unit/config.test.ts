// Config loading: the built-in default, env overrides, and a full file read into the typed config.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { configKeyRows } from "../../scripts/config-docs.js";
import { type Config, loadConfig, validateConfig } from "../../src/common/config.js";
import { pulledModelsDir } from "../../src/common/paths.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-config-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function writeConfig(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const defaults: Omit<Config, "dataDir"> = {
  server: { grpcAddr: "127.0.0.1:50051", httpAddr: "127.0.0.1:8080" },
  gateway: { sseKeepaliveMs: 15000, corsOrigins: [] },
  admission: {
    queueCapacity: 64,
    policy: "reject",
    defaultDeadlineMs: 60000,
    maxTokensLimit: 4096,
  },
  sessions: { ttlMs: 600000, maxTurns: 8, defaultBudgets: {} },
  streams: { metricsMs: 1000 },
  timeouts: { wallMs: 300000, idleMs: 30000 },
  shutdown: { drainMs: 10000 },
  supervisor: {
    backoffInitialMs: 500,
    backoffMaxMs: 30000,
    breakerFailures: 5,
    breakerWindowMs: 60000,
  },
  workers: { heartbeatMs: 1000, staleAfterMs: 5000, allowInsecureRemote: false },
  tls: {},
  store: { taskRetention: 10000 },
  artifacts: { maxAgeMs: 604800000, maxTotalBytes: 1073741824, sweepMs: 60000 },
  logging: { level: "info" },
  models: { dirs: [], cacheDir: pulledModelsDir() },
  catalog: { trust: "permissive", allow: [] },
  pools: [
    {
      id: "cpu-0",
      model: "builtin:tiny",
      backend: "cpu",
      gpuLayers: 0,
      slots: 4,
      contextSize: 4096,
      kvType: "f16",
      engine: "llamacpp",
      promptCacheMb: 1024,
      embeddings: false,
      pooling: "auto",
    },
  ],
  auth: { optional: false, trustProxy: false },
};

const fullYaml = `
server: { grpc_addr: "127.0.0.1:6000", http_addr: "[::1]:9000" }
gateway: { sse_keepalive_ms: 250, cors_origins: ["https://app.example"] }
data_dir: state
admission: { queue_capacity: 8, policy: drop-lru, default_deadline_ms: 1000, max_tokens_limit: 512 }
sessions:
  ttl_ms: 1000
  max_turns: 3
  default_budgets: { tokens: 100, time_ms: 2000, cost: 0.5 }
streams: { metrics_ms: 250 }
timeouts: { wall_ms: 9000, idle_ms: 900 }
shutdown: { drain_ms: 1500 }
supervisor: { backoff_initial_ms: 10, backoff_max_ms: 20, breaker_failures: 2, breaker_window_ms: 30 }
workers: { heartbeat_ms: 100, stale_after_ms: 400, allow_insecure_remote: true }
tls: { cert_file: tls/cp.crt, key_file: tls/cp.key, ca_file: /etc/llama-orch/ca.crt }
store: { task_retention: 50 }
artifacts: { max_age_ms: 3600000, max_total_bytes: 4096, sweep_ms: 5000 }
logging: { level: debug }
models: { dirs: [models, /srv/gguf], cache_dir: pulls, cache_max_gb: 2.5 }
catalog: { trust: strict, allow: ["hf:org", "ollama:library", "https://models.example/gguf"] }
pools:
  - { id: cpu-a, model: builtin:bench, backend: cpu, slots: 2, context_size: 512, threads: 4 }
  - id: gpu-3090
    model: models/qwen.gguf
    backend: cuda
    devices: [0, 1]
    tensor_split: [0.7, 0.3]
    gpu_layers: 20
    slots: 8
    context_size: 8192
    threads: 2
    batch_size: 1024
    ubatch_size: 256
    prefill_chunk: 512
    stream_interval_ms: 40
    kv_type: q8_0
    prompt_cache_mb: 256
    chat_template_file: templates/tools.jinja
    split_mode: layer
    main_gpu: 1
    flash_attn: "on"
  - id: vllm-3090
    model: qwen-7b
    backend: cuda
    engine: vllm
    endpoint: http://127.0.0.1:8000
    served_model: Qwen/Qwen2.5-7B-Instruct
    token_env: VLLM_TOKEN
    metrics_endpoint: http://127.0.0.1:8000/metrics
  - { id: cpu-embed, model: builtin:tiny, backend: cpu, embeddings: true, pooling: mean }
`;

describe("config defaults", () => {
  test("no file: one CPU pool serving builtin:tiny, every default filled", async () => {
    const config = await loadConfig(undefined, {});
    const dataDir = join(homedir(), ".local", "share", "llama-orch");
    assert.deepEqual(config, { ...defaults, dataDir });
  });

  test("an empty file is the built-in default; XDG_DATA_HOME moves the data dir", async () => {
    const path = await writeConfig("empty.yaml", "");
    const config = await loadConfig(path, { XDG_DATA_HOME: "/xdg" });
    assert.deepEqual(config, { ...defaults, dataDir: "/xdg/llama-orch" });
  });

  test("LLAMA_ORCH_CONFIG names the file; LLAMA_ORCH_DATA_DIR overrides data_dir", async () => {
    const path = await writeConfig("env.yaml", "data_dir: /from-file\nlogging: { level: warn }\n");
    const env = { LLAMA_ORCH_CONFIG: path, LLAMA_ORCH_DATA_DIR: "/from-env" };
    const config = await loadConfig(undefined, env);
    assert.equal(config.logging.level, "warn");
    assert.equal(config.dataDir, "/from-env");
  });

  test("gpu_layers defaults to all layers on cuda and none on cpu", () => {
    const config = validateConfig(parse("pools: [{ id: g, model: /m.gguf, backend: cuda }]"));
    assert.equal(config.pools[0]?.gpuLayers, -1);
    assert.equal(config.pools[0]?.devices, undefined);
  });

  test("gpu_layers: auto lets the worker choose the count that fits free VRAM", () => {
    const yaml = "pools: [{ id: g, model: /m.gguf, backend: cuda, gpu_layers: auto }]";
    assert.equal(validateConfig(parse(yaml)).pools[0]?.gpuLayers, "auto");
  });
});

describe("a full config file", () => {
  test("every key is read into the typed config, relative paths against the file", async () => {
    const path = await writeConfig("full.yaml", fullYaml);
    const config = await loadConfig(path, {});
    const expected: Config = {
      server: { grpcAddr: "127.0.0.1:6000", httpAddr: "[::1]:9000" },
      gateway: { sseKeepaliveMs: 250, corsOrigins: ["https://app.example"] },
      dataDir: join(dir, "state"),
      admission: {
        queueCapacity: 8,
        policy: "drop-lru",
        defaultDeadlineMs: 1000,
        maxTokensLimit: 512,
      },
      sessions: {
        ttlMs: 1000,
        maxTurns: 3,
        defaultBudgets: { tokens: 100, timeMs: 2000, cost: 0.5 },
      },
      streams: { metricsMs: 250 },
      timeouts: { wallMs: 9000, idleMs: 900 },
      shutdown: { drainMs: 1500 },
      supervisor: {
        backoffInitialMs: 10,
        backoffMaxMs: 20,
        breakerFailures: 2,
        breakerWindowMs: 30,
      },
      workers: { heartbeatMs: 100, staleAfterMs: 400, allowInsecureRemote: true },
      tls: {
        certFile: join(dir, "tls/cp.crt"),
        keyFile: join(dir, "tls/cp.key"),
        caFile: "/etc/llama-orch/ca.crt",
      },
      store: { taskRetention: 50 },
      artifacts: { maxAgeMs: 3600000, maxTotalBytes: 4096, sweepMs: 5000 },
      logging: { level: "debug" },
      models: {
        dirs: [join(dir, "models"), "/srv/gguf"],
        cacheDir: join(dir, "pulls"),
        cacheMaxGb: 2.5,
      },
      catalog: {
        trust: "strict",
        allow: ["hf:org", "ollama:library", "https://models.example/gguf"],
      },
      pools: [
        {
          id: "cpu-a",
          model: "builtin:bench",
          backend: "cpu",
          gpuLayers: 0,
          slots: 2,
          contextSize: 512,
          threads: 4,
          kvType: "f16",
          engine: "llamacpp",
          promptCacheMb: 1024,
          embeddings: false,
          pooling: "auto",
        },
        {
          id: "gpu-3090",
          model: join(dir, "models", "qwen.gguf"),
          backend: "cuda",
          devices: [0, 1],
          tensorSplit: [0.7, 0.3],
          gpuLayers: 20,
          slots: 8,
          contextSize: 8192,
          threads: 2,
          batchSize: 1024,
          ubatchSize: 256,
          prefillChunk: 512,
          streamIntervalMs: 40,
          kvType: "q8_0",
          promptCacheMb: 256,
          chatTemplateFile: join(dir, "templates", "tools.jinja"),
          splitMode: "layer",
          mainGpu: 1,
          flashAttn: "on",
          engine: "llamacpp",
          embeddings: false,
          pooling: "auto",
        },
        {
          id: "vllm-3090",
          model: "qwen-7b",
          backend: "cuda",
          gpuLayers: -1,
          slots: 4,
          contextSize: 4096,
          kvType: "f16",
          engine: "vllm",
          endpoint: "http://127.0.0.1:8000",
          servedModel: "Qwen/Qwen2.5-7B-Instruct",
          tokenEnv: "VLLM_TOKEN",
          metricsEndpoint: "http://127.0.0.1:8000/metrics",
          promptCacheMb: 1024,
          embeddings: false,
          pooling: "auto",
        },
        {
          id: "cpu-embed",
          model: "builtin:tiny",
          backend: "cpu",
          gpuLayers: 0,
          slots: 4,
          contextSize: 4096,
          kvType: "f16",
          engine: "llamacpp",
          promptCacheMb: 1024,
          embeddings: true,
          pooling: "mean",
        },
      ],
      auth: { optional: false, trustProxy: false },
    };
    assert.deepEqual(config, expected);
  });

  test("the full file sets every key the schema knows (so the test above covers them all)", () => {
    const keys = new Set<string>();
    const walk = (value: unknown, prefix: string): void => {
      if (Array.isArray(value) && typeof value[0] === "object") {
        for (const item of value) walk(item, `${prefix}[]`);
      } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
      } else keys.add(prefix);
    };
    walk(parse(fullYaml), "");
    assert.deepEqual(
      [...keys].sort(),
      configKeyRows()
        .map((r) => r.key)
        .sort(),
    );
  });
});
