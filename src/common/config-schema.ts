// The one source of truth for config keys: JSON Schema with types, defaults and descriptions,
// and beside it the typed (camelCase) view that loadConfig returns.
import type { Secret } from "./config.js";
import { type CatalogConfig, catalogSection } from "./config-schema-catalog.js";
import { type FlashAttn, flashAttnModes, type SplitMode, splitModes } from "./gpu-split.js";

/** The subset of JSON Schema (draft-07) this file uses, plus one annotation, `defaultNote`. */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  default?: unknown;
  /** The documented default where it is computed at load time instead of fixed in the schema. */
  defaultNote?: string;
  enum?: readonly string[];
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  properties?: Record<string, SchemaNode>;
  required?: readonly string[];
  additionalProperties?: false;
  items?: SchemaNode;
  /** A value of any one of these shapes, e.g. an integer or a keyword. */
  anyOf?: readonly SchemaNode[];
}

// Builders keep `additionalProperties: false` on every object, so no object can forget it.
function obj(
  description: string,
  properties: Record<string, SchemaNode>,
  required: readonly string[] = [],
): SchemaNode {
  const node: SchemaNode = { type: "object", description, additionalProperties: false, properties };
  // An absent section still gets its members' defaults: ajv fills `{}` and then recurses into it.
  if (required.length === 0) node.default = {};
  else node.required = required;
  return node;
}

function int(description: string, def?: number, minimum = 0): SchemaNode {
  const node: SchemaNode = { type: "integer", description, minimum };
  if (def !== undefined) node.default = def;
  return node;
}

function str(description: string, def?: string, extra: Partial<SchemaNode> = {}): SchemaNode {
  const node: SchemaNode = { type: "string", description, ...extra };
  if (def !== undefined) node.default = def;
  return node;
}

function oneOf(description: string, values: readonly string[], def?: string): SchemaNode {
  return str(description, def, { enum: values });
}

/** `gateway.sse_keepalive_ms`'s default, also used by a gateway built without a config. */
export const DEFAULT_SSE_KEEPALIVE_MS = 15000;

const ADDR = "^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$";

export const poolBackends = ["cpu", "cuda"] as const;
export const kvTypes = ["f16", "q8_0", "f32"] as const;
/** `llamacpp` is the in-process addon; the others are engines the user runs (docs/engines.md). */
export const poolEngines = ["llamacpp", "llamacpp-server", "vllm", "tgi", "triton"] as const;
export const admissionPolicies = ["reject", "drop-lru"] as const;
/** How an embeddings pool pools a sequence's outputs into one vector (llama.cpp pooling types). */
export const poolPoolings = ["auto", "mean", "cls", "last"] as const;
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The built-in pool: it serves anywhere, with no GPU and no model file (DESIGN decision 2). */
export const builtinPool = { id: "cpu-0", model: "builtin:tiny", backend: "cpu" } as const;

const pool = obj(
  "One pool: one model served by one worker process on one backend.",
  {
    id: str("Pool id, unique, used in logs, metrics and placement pins.", undefined, {
      pattern: "^[a-z0-9-]+$",
    }),
    model: str(
      "Path to a GGUF file (relative paths resolve against the config file), `builtin:tiny` / `builtin:bench` for a generated model, a catalog id or alias, or a ref pulled at start (`hf:org/repo:QUANT`, `hf:org/repo/file.gguf[@rev]`, `https://…`).",
    ),
    backend: oneOf("`cpu` or `cuda`. CPU pools are an explicit opt-in.", poolBackends),
    devices: {
      type: "array",
      description: "GPU indexes the pool may use (cuda only); absent means all GPUs.",
      items: { type: "integer", minimum: 0 },
      minItems: 1,
    },
    tensor_split: {
      type: "array",
      description: "Share of the model per device, in `devices` order (cuda only).",
      items: { type: "number", minimum: 0 },
      minItems: 1,
    },
    gpu_layers: {
      description:
        "Layers offloaded to the GPU; -1 means all; `auto` offloads as many as fit the pool's " +
        "free VRAM. Before each GPU load the worker estimates weights + KV + a 1 GiB compute " +
        "margin per device and refuses a fixed count that does not fit, naming the device, the " +
        "bytes needed and the bytes free.",
      anyOf: [
        { type: "integer", minimum: -1 },
        { type: "string", enum: ["auto"] },
      ],
      defaultNote: "`0` for cpu, `-1` (all) for cuda",
    },
    slots: int("Sequences decoded together (continuous batching width).", 4, 1),
    context_size: int("Context length per sequence, in tokens.", 4096, 1),
    threads: {
      ...int("CPU threads for decoding.", undefined, 1),
      defaultNote: "llama.cpp's choice",
    },
    batch_size: { ...int("Logical batch size.", undefined, 1), defaultNote: "llama.cpp's choice" },
    ubatch_size: {
      ...int("Physical batch size; at most `batch_size`.", undefined, 1),
      defaultNote: "llama.cpp's choice",
    },
    prefill_chunk: {
      ...int(
        "Prompt tokens per decode step while other sequences decode or prompts wait (chunked " +
          "prefill): running streams keep flowing, and prompts that arrive together get their " +
          "first tokens one after another. At most `batch_size`.",
        undefined,
        1,
      ),
      defaultNote: "`128` on cpu, `ubatch_size` on cuda",
    },
    kv_type: oneOf("KV cache element type.", kvTypes, "f16"),
    engine: oneOf(
      "What serves the pool: `llamacpp` (the in-process addon) or an external engine the user " +
        "runs, reached at `endpoint` through an adapter worker (see docs/engines.md). For an " +
        "external engine `model` is the name tasks use, `slots` its concurrency, `context_size` " +
        "its context when the engine does not report one; the native-only keys do not apply.",
      poolEngines,
      "llamacpp",
    ),
    endpoint: str(
      "Base URL of the external engine's HTTP API, e.g. `http://127.0.0.1:8000` (external engines only).",
      undefined,
      {
        pattern: "^https?://",
      },
    ),
    served_model: {
      ...str("The model name the external engine serves (OpenAI `model`, Triton model name)."),
      defaultNote: "`model`",
    },
    token_env: str(
      "Environment variable holding the external engine's Bearer token; the token itself never goes in the file.",
      undefined,
      { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    ),
    metrics_endpoint: {
      ...str("URL of the external engine's Prometheus metrics, read for placement.", undefined, {
        pattern: "^https?://",
      }),
      defaultNote: "`<endpoint>/metrics`",
    },
    chat_template_file: {
      ...str(
        "A Jinja chat template used instead of the model's own (relative paths resolve against the config file), e.g. one with tool support for a model whose template has none.",
      ),
      defaultNote: "the model's template",
    },
    prompt_cache_mb: int(
      "Host RAM, in MiB, for the prefix cache's second tier: KV states of prompts a slot had to " +
        "drop, restored when the same tenant sends a prompt they match (least recently used go " +
        "first). Counts toward the worker's memory on top of the model and its KV; `0` turns it off.",
      1024,
      0,
    ),
    embeddings: {
      type: "boolean",
      description:
        "Serve embeddings (`POST /v1/embeddings`) instead of generation: the pool's context pools " +
        "each input into one L2-normalised vector and the pool takes no chat or completion tasks " +
        "(a model may have one pool of each kind). Native engine only.",
      default: false,
    },
    pooling: oneOf(
      "How an embeddings pool pools a sequence: `mean`, `cls` (first token), `last` (last token), " +
        "or `auto`: the pooling the model's GGUF metadata names (`<arch>.pooling_type`), else " +
        "`last` (decoder models, our generated test models, carry none).",
      poolPoolings,
      "auto",
    ),
    // GPU split keys (issue 16; rules in gpu-split.ts).
    split_mode: {
      ...oneOf(
        "How a model spreads over the pool's GPUs (cuda only): `layer` (whole layers per GPU, in " +
          "`tensor_split` proportions), `row` or `tensor` (each matrix split across GPUs; need " +
          "`flash_attn: on` and `kv_type` f16 or f32), `none` (all on `main_gpu`).",
        splitModes,
      ),
      defaultNote:
        "`layer`; over several GPUs without `tensor_split`, in proportion to each GPU's total memory",
    },
    main_gpu: {
      ...int(
        "GPU index (one of `devices`) that holds the whole model under `split_mode: none`, and the KV cache and intermediate results under `row` (cuda only).",
        undefined,
        0,
      ),
      defaultNote: "the first of `devices`",
    },
    flash_attn: {
      ...oneOf(
        "Flash attention: `on`, `off`, or `auto` (llama.cpp enables it where the device supports it).",
        flashAttnModes,
      ),
      defaultNote: "`auto`",
    },
  },
  ["id", "model", "backend"],
);

const budgets = obj("Budgets given to a new session; an absent budget is unlimited.", {
  tokens: { ...int("Tokens a session may generate."), defaultNote: "unlimited" },
  time_ms: { ...int("Decode time a session may use, in ms."), defaultNote: "unlimited" },
  cost: {
    type: "number",
    description: "Cost units a session may spend.",
    minimum: 0,
    defaultNote: "unlimited",
  },
});

export const configSchema: SchemaNode = obj("llama-orch configuration (YAML).", {
  server: obj("Listen addresses.", {
    grpc_addr: str("gRPC listen address (control plane).", "127.0.0.1:50051", { pattern: ADDR }),
    http_addr: str("HTTP listen address (gateway).", "127.0.0.1:8080", { pattern: ADDR }),
  }),
  gateway: obj("The HTTP/SSE gateway.", {
    sse_keepalive_ms: int(
      "Interval of `: keep-alive` comments on an idle SSE stream, in ms.",
      DEFAULT_SSE_KEEPALIVE_MS,
      1,
    ),
    cors_origins: {
      type: "array",
      description:
        "Browser origins allowed to call the gateway (exact match, e.g. `https://app.example`); empty turns CORS off.",
      items: { type: "string", minLength: 1 },
      default: [],
    },
  }),
  data_dir: {
    ...str(
      "Where the database and artifacts live; relative paths resolve against the config file.",
    ),
    defaultNote: "`$XDG_DATA_HOME/llama-orch`, else `~/.local/share/llama-orch`",
  },
  admission: obj("Admission and queueing.", {
    queue_capacity: int("Queued tasks per pool before the admission policy applies.", 64, 1),
    policy: oneOf("What a full queue does: `reject` or `drop-lru`.", admissionPolicies, "reject"),
    default_deadline_ms: int("Deadline of a task that names none, in ms.", 60000, 1),
    max_tokens_limit: int("Largest `max_tokens` a task may ask for.", 4096, 1),
  }),
  sessions: obj("Sessions.", {
    ttl_ms: int("Idle time after which a session expires, in ms.", 600000, 1),
    max_turns: int("Turns a session may take.", 8, 1),
    default_budgets: budgets,
  }),
  streams: obj("Task event streams (gRPC and SSE).", {
    metrics_ms: int(
      "Least interval between two `metrics` frames (queue depth, on-time probability) of a running task, in ms.",
      1000,
      10,
    ),
  }),
  timeouts: obj("Task timeouts.", {
    wall_ms: int("Longest a task may run from placement to its end, in ms.", 300000, 1),
    idle_ms: int("Longest a running task may go without a token, in ms.", 30000, 1),
  }),
  shutdown: obj("Stopping serve (SIGTERM, SIGINT).", {
    drain_ms: int(
      "Time running tasks get to finish once shutdown begins, in ms; then they end with a retriable error and serve exits within 2 s more.",
      10000,
      0,
    ),
  }),
  supervisor: obj("Worker process supervision.", {
    backoff_initial_ms: int("First restart delay, in ms.", 500, 1),
    backoff_max_ms: int("Largest restart delay, in ms.", 30000, 1),
    breaker_failures: int("Crashes within the window that stop restarts.", 5, 1),
    breaker_window_ms: int("Window of the crash breaker, in ms.", 60000, 1),
  }),
  workers: obj("Worker liveness.", {
    heartbeat_ms: int("Interval between worker heartbeats, in ms.", 1000, 1),
    stale_after_ms: int("Silence after which a worker counts as gone, in ms.", 5000, 1),
    allow_insecure_remote: {
      type: "boolean",
      description:
        "INSECURE: accept worker registrations from other hosts without mutual TLS (the Bearer token " +
        "and every prompt then cross the network in clear text). Off: such a registration is refused.",
      default: false,
    },
  }),
  tls: obj(
    "TLS for every gRPC edge (mutual: clients and workers must present a certificate the CA signed) " +
      "and HTTPS on the gateway. All three files or none; relative paths resolve against the config file. " +
      "Local pools' workers get the same files.",
    {
      cert_file: {
        ...str("PEM certificate chain this control plane presents (server and client)."),
        defaultNote: "unset: plaintext",
      },
      key_file: { ...str("PEM private key of `cert_file`."), defaultNote: "unset" },
      ca_file: {
        ...str("PEM CA bundle that verifies workers' and clients' certificates."),
        defaultNote: "unset",
      },
    },
  ),
  store: obj("Persistence.", {
    task_retention: int("Task records kept (newest first); older ones are pruned.", 10000, 1),
  }),
  artifacts: obj("Stored artifacts (task transcripts, plans, diffs): retention.", {
    max_age_ms: int("Artifacts older than this are deleted, in ms; 0 keeps them.", 604800000, 0),
    max_total_bytes: int(
      "Total content kept; the oldest artifacts go first beyond it, in bytes; 0: no limit.",
      1073741824,
      0,
    ),
    sweep_ms: int(
      "Interval between retention passes (also removing blobs no record names), in ms.",
      60000,
      1000,
    ),
  }),
  logging: obj("Logs (JSON lines on stdout).", {
    level: oneOf("Lowest level written.", logLevels, "info"),
  }),
  models: obj("Model files: where they may come from and where pulls land.", {
    dirs: {
      type: "array",
      description:
        "Directories local model files may come from (catalog `source_url`, pulls of a local path); relative paths resolve against the config file. The pull cache, the built-in models, `<data_dir>/models`, the folders of configured pool models, the Hugging Face hub cache and Ollama's models folder (see `HF_HUB_CACHE`, `OLLAMA_MODELS`) are always allowed.",
      items: { type: "string", minLength: 1 },
      default: [],
    },
    cache_dir: {
      ...str("Where pulled models are downloaded; relative paths resolve against the config file."),
      defaultNote:
        "`pulled/` in the models cache (`$LLAMA_ORCH_CACHE/models`, else `~/.cache/llama-orch/models`)",
    },
    cache_max_gb: {
      type: "number",
      description:
        "Most GB (10^9 bytes) of pulled files kept in `cache_dir`: a pull that goes over it, or `llama-orch models gc`, removes the least recently used pulled files (a load or a task is a use) until under it; never one a pool serves, a pinned one (`models pin`), or a file outside the pull cache (imported and local files are only ever unregistered, never deleted).",
      exclusiveMinimum: 0,
      defaultNote: "unlimited",
    },
  }),
  catalog: catalogSection,
  pools: {
    type: "array",
    description:
      "Pools served by this control plane; `[]` for a control plane of remote workers only.",
    items: pool,
    default: [builtinPool],
  },
});

// The root is the document itself: ajv has nowhere to write a default for it (strict mode).
delete configSchema.default;

// The typed view of the schema above; test/unit/config.test.ts checks the two agree key by key.

export type PoolBackend = (typeof poolBackends)[number];
export type KvType = (typeof kvTypes)[number];
export type PoolEngine = (typeof poolEngines)[number];
export type AdmissionPolicy = (typeof admissionPolicies)[number];
export type LogLevel = (typeof logLevels)[number];
export type PoolPooling = (typeof poolPoolings)[number];

export interface PoolConfig {
  id: string;
  /** An absolute GGUF path, or `builtin:<preset>`. */
  model: string;
  backend: PoolBackend;
  devices?: number[];
  tensorSplit?: number[];
  /** -1 means all layers; auto: as many as fit the free VRAM. */
  gpuLayers: number | "auto";
  slots: number;
  contextSize: number;
  threads?: number;
  batchSize?: number;
  ubatchSize?: number;
  prefillChunk?: number;
  kvType: KvType;
  engine: PoolEngine;
  endpoint?: string;
  servedModel?: string;
  tokenEnv?: string;
  metricsEndpoint?: string;
  /** Absolute path of a Jinja chat template replacing the model's. */
  chatTemplateFile?: string;
  promptCacheMb: number;
  embeddings: boolean;
  pooling: PoolPooling;
  splitMode?: SplitMode;
  /** A GPU index, one of `devices`. */
  mainGpu?: number;
  flashAttn?: FlashAttn;
}

export interface SessionBudgets {
  tokens?: number;
  timeMs?: number;
  cost?: number;
}

export interface Config {
  server: { grpcAddr: string; httpAddr: string };
  gateway: { sseKeepaliveMs: number; corsOrigins: string[] };
  /** Absolute. */
  dataDir: string;
  admission: {
    queueCapacity: number;
    policy: AdmissionPolicy;
    defaultDeadlineMs: number;
    maxTokensLimit: number;
  };
  sessions: { ttlMs: number; maxTurns: number; defaultBudgets: SessionBudgets };
  streams: { metricsMs: number };
  timeouts: { wallMs: number; idleMs: number };
  shutdown: { drainMs: number };
  supervisor: {
    backoffInitialMs: number;
    backoffMaxMs: number;
    breakerFailures: number;
    breakerWindowMs: number;
  };
  workers: { heartbeatMs: number; staleAfterMs: number; allowInsecureRemote: boolean };
  /** All three paths (absolute) or none. */
  tls: { certFile?: string; keyFile?: string; caFile?: string };
  store: { taskRetention: number };
  artifacts: { maxAgeMs: number; maxTotalBytes: number; sweepMs: number };
  logging: { level: LogLevel };
  /** `dirs` and `cacheDir` absolute. */
  models: { dirs: string[]; cacheDir: string; cacheMaxGb?: number };
  catalog: CatalogConfig;
  pools: PoolConfig[];
  /** From the environment only. */
  auth: { token?: Secret; optional: boolean; trustProxy: boolean };
}
