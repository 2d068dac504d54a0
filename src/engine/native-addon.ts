// The shape of the compiled addon (build/llama_orch.node) as JS sees it.
import type { GpuProbe } from "./nvml-types.js";
import type { ChatDelta, EngineOptions, TokenLogprobs } from "./types.js";

/** The addon takes the engine options as they are. */
export type NativeLoadOptions = EngineOptions;

export interface NativeModelInfo {
  architecture: string;
  name: string;
  description: string;
  parameterCount: number;
  fileSizeBytes: number;
  trainedContext: number;
  vocabSize: number;
  fileType: string;
  hasChatTemplate: boolean;
  contextSize: number;
  slots: number;
  kvBytesPerToken: number;
  embeddingLength: number;
  pooling: string;
}

export type NativeEvent =
  | {
      type: "token";
      seq: number;
      id: number;
      text: string;
      index: number;
      logprobs?: TokenLogprobs;
    }
  | {
      type: "end";
      seq: number;
      finishReason: "stop" | "length" | "cancelled" | "error";
      tokensIn: number;
      tokensOut: number;
      cachedTokens: number;
      promptMs: number;
      decodeMs: number;
      ttftMs: number;
      grammarResamples: number;
      errorCode?: string;
      errorMessage?: string;
    }
  | { type: "ack"; ack: number; found: boolean }
  | {
      type: "embedding";
      id: number;
      dimensions: number;
      /** `dimensions` floats per input, inputs in order. */
      values: Float32Array;
      tokens: number;
      ms: number;
      errorCode?: string;
      errorMessage?: string;
    };

export interface NativeStats {
  slotsTotal: number;
  slotsBusy: number;
  pending: number;
  kvCellsUsed: number;
  kvCellsTotal: number;
  kvCellsCached: number;
  cacheEvictions: number;
  cacheRamBytes: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export interface NativeEngine {
  info(): NativeModelInfo;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): number[];
  detokenize(tokens: readonly number[]): string;
  /** Renders an OpenAI-shaped chat (JSON text) with the model's Jinja template and tools. */
  renderChat(requestJson: string): {
    prompt: string;
    grammar: string;
    grammarLazy: boolean;
    grammarTriggers: string[];
    stops: string[];
    parser: string;
    grammarPrefill: string;
  };
  parseChat(
    text: string,
    parser: string,
  ): {
    content: string;
    reasoningContent: string;
    toolCalls: { id: string; name: string; arguments: string }[];
  };
  /** The answer's parsed growth from `previous` to `text`; null when common cannot diff them. */
  diffChat(previous: string, text: string, parser: string, final: boolean): ChatDelta[] | null;
  /** Returns the sequence id; events arrive through the onEvents callback given at load. */
  submit(request: object): number;
  /** Returns an acknowledgement id that a later `ack` event settles. */
  cancel(sequenceId: number): number;
  /** Embeddings engines: queues token inputs; returns the id an `embedding` event settles. */
  embed(inputs: readonly (readonly number[])[]): number;
  stats(): NativeStats;
  dispose(): Promise<void>;
}

/** A llama.cpp GPU device (ggml backend device); `index` is what EngineOptions.devices names. */
export interface BackendDevice {
  index: number;
  /** e.g. CUDA0 */
  name: string;
  description: string;
  memoryFreeBytes: number;
  memoryTotalBytes: number;
}

export interface NativeAddon {
  loadEngine(
    options: NativeLoadOptions,
    onEvents: (events: NativeEvent[]) => void,
  ): Promise<NativeEngine>;
  /** Every error code the addon can raise (checked against src/common/errors.ts by a test). */
  errorCodes: string[];
  /** The llama.cpp commit the addon was built from. */
  llamaCppCommit: string;
  /** The GPU devices the linked llama.cpp backends see, by ordinal; empty on a CPU-only build. */
  gpuDevices(): BackendDevice[];
  /** Reads every NVIDIA GPU through NVML (loaded at run time) off the JS thread; never rejects for a
   * missing driver or library: those resolve with no devices and a reason. */
  probeGpus(libraryPath?: string): Promise<GpuProbe>;
}
