// The config schema's `pools` section: one pool's keys, their allowed values, and its typed view.
import { int, obj, oneOf, type SchemaNode, str } from "./config-schema-node.js";
import { type FlashAttn, flashAttnModes, type SplitMode, splitModes } from "./gpu-split.js";

export const poolBackends = ["cpu", "cuda"] as const;
export const kvTypes = ["f16", "q8_0", "f32"] as const;
/** `llamacpp` is the in-process addon; the others are engines the user runs (docs/engines.md). */
export const poolEngines = ["llamacpp", "llamacpp-server", "vllm", "tgi", "triton"] as const;
/** How an embeddings pool pools a sequence's outputs into one vector (llama.cpp pooling types). */
export const poolPoolings = ["auto", "mean", "cls", "last"] as const;

/** The built-in pool: it serves anywhere, with no GPU and no model file (DESIGN decision 2). */
export const builtinPool = { id: "cpu-0", model: "builtin:tiny", backend: "cpu" } as const;

export const poolSchema: SchemaNode = obj(
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
          "first tokens one after another. Smaller: earlier first tokens under load; larger: " +
          "steadier streams (on CPU, 128 halves the ITL p95 at 8 and 16 concurrent streams and " +
          "nearly doubles TTFT p50 at 8; see bench/README.md). At most `batch_size`.",
        undefined,
        1,
      ),
      defaultNote: "`64` on cpu, `ubatch_size` on cuda",
    },
    stream_interval_ms: {
      ...int(
        "At most one token message per streaming task per this many milliseconds; a task's first " +
          "token and its end never wait. Tokens of faster steps leave together (a native client " +
          "still gets one `token` event per token; an OpenAI chunk carries their text), so each " +
          "token costs fewer wake-ups of the worker, serve and the client, which on a busy CPU " +
          "take cores from llama.cpp's threads. `0` sends every step as it comes; at most `1000`.",
        undefined,
        0,
      ),
      maximum: 1000,
      defaultNote: "`25` on cpu, `0` on cuda",
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

export type PoolBackend = (typeof poolBackends)[number];
export type KvType = (typeof kvTypes)[number];
export type PoolEngine = (typeof poolEngines)[number];
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
  streamIntervalMs?: number;
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
