// The one source of truth for config keys: JSON Schema with types, defaults and descriptions,
// and beside it the typed (camelCase) view that loadConfig returns.

import { type CatalogConfig, catalogSection } from "./config-schema-catalog.js";
import { int, obj, oneOf, type SchemaNode, str } from "./config-schema-node.js";
import { builtinPool, type PoolConfig, poolSchema } from "./config-schema-pool.js";
import type { Secret } from "./secret.js";

/** `gateway.sse_keepalive_ms`'s default, also used by a gateway built without a config. */
export const DEFAULT_SSE_KEEPALIVE_MS = 15000;

const ADDR = "^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$";

export const admissionPolicies = ["reject", "drop-lru"] as const;
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

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
    items: poolSchema,
    default: [builtinPool],
  },
});

// The root is the document itself: ajv has nowhere to write a default for it (strict mode).
delete configSchema.default;

// The typed view of the schema above; test/unit/config.test.ts checks the two agree key by key.

export type AdmissionPolicy = (typeof admissionPolicies)[number];
export type LogLevel = (typeof logLevels)[number];

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
