// The shapes every engine adapter shares: what it is asked, what it streams back, what it reports.
import type { EngineFinishReason } from "../common/finish-reasons.js";

export const adapterEngines = ["llamacpp-server", "vllm", "tgi", "triton"] as const;
export type AdapterEngine = (typeof adapterEngines)[number];

/** A generation request in the engine-neutral form the Worker contract carries. */
export interface AdapterRequest {
  taskId: string;
  prompt: string;
  maxTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  stop: readonly string[];
  grammar?: string;
  sessionKey?: string;
  ignoreEos: boolean;
}

export type AdapterEvent =
  | { type: "token"; text: string; id: number }
  | {
      type: "end";
      finishReason: Extract<EngineFinishReason, "stop" | "length">;
      /** What the engine said it used; absent when its protocol does not say. */
      tokensIn?: number;
      tokensOut?: number;
      cachedTokens?: number;
      promptMs?: number;
      decodeMs?: number;
    };

/** What the engine says about the model it serves; absent where its API does not tell. */
export interface EngineFacts {
  version: string;
  contextSize?: number;
  vocabSize?: number;
  parameterCount?: number;
  fileSizeBytes?: number;
}

/** The engine's own load figures, read from its metrics endpoint. */
export interface EngineLoad {
  running: number;
  waiting: number;
  /** 0..1 when the engine exports it. */
  kvUsage?: number;
  decodeTokensPerSecond?: number;
}

/** What a pool served by this engine supports (the capabilities' `features`). */
export type EngineFeatures = Readonly<Record<string, boolean>>;

export interface AdapterOptions {
  /** Base URL, e.g. http://127.0.0.1:8000 (no trailing slash needed). */
  endpoint: string;
  /** Where the Prometheus text is served when not at `<endpoint>/metrics` (Triton: port 8002). */
  metricsUrl?: string;
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** The model name the engine serves (OpenAI `model`, Triton model name). */
  servedModel: string;
  /** Longest a request may wait for the engine's response headers. */
  requestTimeoutMs?: number;
}

export interface EngineAdapter {
  readonly engine: AdapterEngine;
  readonly features: EngineFeatures;
  /** Resolves when the engine is ready to serve; throws an OrchError saying why not. */
  health(): Promise<void>;
  facts(): Promise<EngineFacts>;
  load(): Promise<EngineLoad>;
  /** Streams the engine's tokens; aborting `signal` closes the upstream request. */
  generate(request: AdapterRequest, signal: AbortSignal): AsyncIterable<AdapterEvent>;
  countTokens(text: string): Promise<number>;
  /** Sessions whose KV the engine still holds, where the adapter can tell. */
  warmSessions?(): string[];
  /** Undefined when the engine cannot render chat templates. */
  applyChatTemplate?(
    messages: readonly { role: string; content: string }[],
    addAssistant: boolean,
  ): Promise<string>;
}
