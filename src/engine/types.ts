// The engine's public shapes: options, requests, events and stats of the TS face of the addon.
import type { EngineFinishReason } from "../common/finish-reasons.js";
import type { FlashAttn, SplitMode } from "../common/gpu-split.js";
import type { SamplingKnobValues } from "../common/sampling-bounds.js";

export type KvType = "f32" | "f16" | "q8_0";

export interface EngineOptions {
  /** Path of the GGUF model file. */
  modelPath: string;
  /** Tokens one sequence may hold (prompt + generated). Default: min(4096, trained context). */
  contextSize?: number;
  /** Sequences decoded concurrently (slots). Default 4. */
  slots?: number;
  /** Logical batch: most tokens one llama_decode call takes. Default 2048. */
  batchSize?: number;
  /** Physical micro-batch. Default 512. */
  ubatchSize?: number;
  /**
   * Prompt tokens per step while other sequences decode or more prompts wait (chunked prefill):
   * streams keep flowing during a long prompt, and prompts that arrive together get their first
   * tokens one after another. Default 64 on CPU, ubatchSize with GPU layers. At most batchSize.
   */
  prefillChunk?: number;
  /**
   * A sequence's tokens reach its events at most once per this many ms; its first token and its
   * end never wait. Fewer deliveries wake the JS thread less often. 0 to 1000; default 0: every
   * step.
   */
  streamIntervalMs?: number;
  /** Threads for decode. Default: all available cores. */
  threads?: number;
  /** Threads for prefill batches. Default: same as threads. */
  threadsBatch?: number;
  /** Layers offloaded to GPU (-1: all). Default 0. */
  gpuLayers?: number;
  /**
   * GPU ordinals (addon.gpuDevices()) the model may use; absent: every GPU; `[]`: the CPU alone.
   * One the addon does not have fails the load with POOL_DEVICE_UNAVAILABLE.
   */
  devices?: number[];
  /** Position in `devices` of the GPU holding the whole model (split none) or KV and results (row). */
  mainGpu?: number;
  /** Proportion of the model per entry of `devices` (tensor split). */
  tensorSplit?: number[];
  /** How a model spreads over several GPUs (llama.cpp split modes). Default layer. */
  splitMode?: SplitMode;
  /** Flash attention; `auto` lets llama.cpp decide per device. Default auto. */
  flashAttn?: FlashAttn;
  /** KV cache element type. Default f16. */
  kvType?: KvType;
  /** Sequences waiting for a slot before submit() refuses with ENGINE_BUSY. Default 256. */
  maxPending?: number;
  /** Jinja chat template text used instead of the model's own. */
  chatTemplate?: string;
  /** Host RAM (MiB) for prompt KV states slots had to drop; restored for a later match. Default 0: off. */
  promptCacheMb?: number;
  /** Load for embeddings (embed()) instead of generation (submit()). Default false. */
  embeddings?: boolean;
  /** How an embeddings engine pools a sequence; `auto`: the model's metadata, else `last`. */
  pooling?: Pooling;
}

export const poolings = ["auto", "mean", "cls", "last"] as const;
export type Pooling = (typeof poolings)[number];

export interface ModelInfo {
  architecture: string;
  name: string;
  description: string;
  parameterCount: number;
  fileSizeBytes: number;
  trainedContext: number;
  vocabSize: number;
  fileType: string;
  hasChatTemplate: boolean;
  /** sha256 of the model file, hex. */
  digest: string;
  /** Context per sequence and slot count this engine was loaded with. */
  contextSize: number;
  slots: number;
  /** K and V bytes one token takes in the KV cache (all layers, at the loaded KV type). */
  kvBytesPerToken: number;
  /** The model's output embedding size (what embed() returns per input). */
  embeddingLength: number;
  /** Embeddings engines: the pooling in use (mean, cls, last); "": a generation engine. */
  pooling: string;
}

/** One embed() call's answer: a unit-length vector per input, in input order. */
export interface EmbedResult {
  vectors: Float32Array[];
  /** Tokens of all inputs. */
  tokens: number;
  ms: number;
}

/** The knobs of the bounds table (their meaning, range and default are there), a seed, a bias. */
export interface Sampling extends SamplingKnobValues {
  seed?: number;
  /** Added to a token's logit, in logitBiasRange; -100 bans the token. */
  logitBias?: readonly { token: number; bias: number }[];
}

export interface SubmitRequest {
  /** Text (tokenized with the model's BOS) or token ids used as they are. */
  prompt: string | readonly number[];
  maxTokens: number;
  sampling?: Sampling;
  stop?: readonly string[];
  /** GBNF grammar constraining the output. */
  grammar?: string;
  /** JSON Schema text the output must follow (llama.cpp common makes it a grammar); not with grammar. */
  jsonSchema?: string;
  /** The grammar applies only from the first match of one of grammarTriggers (regexes) on. */
  grammarLazy?: boolean;
  grammarTriggers?: readonly string[];
  /** The chat template's generation prompt a chat format's grammar starts with; fed to it first. */
  grammarPrefill?: string;
  /** Never share a decode call with another sequence: output independent of load. */
  strict?: boolean;
  /** Keep this sequence's KV after it ends; the next submit with the same key reuses it. */
  sessionKey?: string;
  /**
   * The prefix cache's tenant: a finished sequence's KV stays in its slot as cache, reused only by
   * later prompts of the same tenant that share a prefix with it. Absent: the "" tenant.
   */
  cacheTenant?: string;
  /** Generate exactly maxTokens, ignoring end-of-generation tokens. */
  ignoreEos?: boolean;
}

/** The engine ends a sequence for one of these reasons (the one list: common/finish-reasons.ts). */
export type FinishReason = EngineFinishReason;

/**
 * A token's log-probability under the model's distribution (softmax of the raw logits, before
 * penalties, bias, grammar and temperature) with the most likely tokens, most likely first.
 */
export interface TokenLogprobs {
  logprob: number;
  /** The token's own bytes (may hold part of a UTF-8 character). */
  bytes: Uint8Array;
  top: { id: number; logprob: number; bytes: Uint8Array }[];
}

export interface TokenEvent {
  type: "token";
  id: number;
  /** Text this token completes (UTF-8 safe: may be empty while a character is split). */
  text: string;
  index: number;
  /** With sampling.logprobs only. */
  logprobs?: TokenLogprobs;
}

export interface EndEvent {
  type: "end";
  finishReason: FinishReason;
  tokensIn: number;
  tokensOut: number;
  cachedTokens: number;
  promptMs: number;
  decodeMs: number;
  ttftMs: number;
  /** Steps on which the grammar rejected the sampled token and the step was sampled again. */
  grammarResamples: number;
  error?: { code: string; message: string };
}

export type EngineEvent = TokenEvent | EndEvent;

export interface EngineStats {
  slotsTotal: number;
  slotsBusy: number;
  pending: number;
  kvCellsUsed: number;
  kvCellsTotal: number;
  /** Of kvCellsUsed: cells idle slots hold as prefix cache (no sequence running). */
  kvCellsCached: number;
  /** Cached prompts dropped so far to make room for another prompt. */
  cacheEvictions: number;
  /** Bytes of the host-RAM prompt cache. */
  cacheRamBytes: number;
  /** Measured over a recent window; 0 before any work. */
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatToolCall {
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

/** A chat turn as the model's (Jinja) chat template takes it, tool calls and results included. */
export interface ChatTurn extends ChatMessage {
  toolCalls?: readonly ChatToolCall[];
  toolCallId?: string;
  name?: string;
}

export interface ChatRenderRequest {
  messages: readonly ChatTurn[];
  /** Parameters as JSON Schema text; "" takes none. */
  tools?: readonly { name: string; description: string; parameters: string }[];
  /** "auto" (default), "none" or "required". */
  toolChoice?: string;
  parallelToolCalls?: boolean;
  /** JSON Schema text the answer must follow; "" or absent: free. */
  jsonSchema?: string;
  addAssistant?: boolean;
}

/** A rendered chat: the prompt and what generation and parsing of the answer need. */
export interface ChatRender {
  prompt: string;
  grammar: string;
  grammarLazy: boolean;
  grammarTriggers: string[];
  /** Stop strings the chat format adds. */
  stops: string[];
  /** Opaque: the chat format and parser; give it back to parseChat. */
  parser: string;
  grammarPrefill: string;
}

/** An answer as its chat format parses it. */
export interface ChatParse {
  content: string;
  reasoningContent: string;
  toolCalls: ChatToolCall[];
}

/**
 * One step of a parsed answer's growth (llama.cpp common's diff): content or reasoning text, or a
 * tool call's part: its id and name when it first appears (toolCallIndex >= 0), then arguments text.
 */
export interface ChatDelta {
  content: string;
  reasoningContent: string;
  /** -1: not about a call. */
  toolCallIndex: number;
  id: string;
  name: string;
  arguments: string;
}
