// The shape of the compiled addon (build/llama_orch.node) as JS sees it.
import type { GpuProbe } from "./nvml-types.js";
import type {
  ChatDelta,
  ChatParse,
  ChatRender,
  EndEvent,
  EngineOptions,
  EngineStats,
  ModelInfo,
  SubmitRequest,
  TokenEvent,
} from "./types.js";

// Each native shape is derived from the engine's public one (types.ts), so a field is declared
// once; what differs is said here: the sequence id on events, error fields, no digest.

/** The addon takes the engine options as they are. */
export type NativeLoadOptions = EngineOptions;

/** The digest is hashed in JS (model-digest.ts); the addon reports the rest. */
export type NativeModelInfo = Omit<ModelInfo, "digest">;

/** What `submit` takes: the request as it is (convert.cpp reads each field by name). */
export type NativeSubmitRequest = SubmitRequest;

export type NativeTokenEvent = TokenEvent & { seq: number };

/** An end carries its error as two flat fields, not EndEvent's object. */
export type NativeEndEvent = Omit<EndEvent, "error"> & {
  seq: number;
  errorCode?: string;
  errorMessage?: string;
};

export type NativeEvent =
  | NativeTokenEvent
  | NativeEndEvent
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

export type NativeStats = EngineStats;

export interface NativeEngine {
  info(): NativeModelInfo;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): number[];
  detokenize(tokens: readonly number[]): string;
  /** Renders an OpenAI-shaped chat (JSON text) with the model's Jinja template and tools. */
  renderChat(requestJson: string): ChatRender;
  parseChat(text: string, parser: string): ChatParse;
  /** The answer's parsed growth from `previous` to `text`; null when common cannot diff them. */
  diffChat(previous: string, text: string, parser: string, final: boolean): ChatDelta[] | null;
  /** Returns the sequence id; events arrive through the onEvents callback given at load. */
  submit(request: NativeSubmitRequest): number;
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
  /** True when llama.cpp was built with its CUDA backend (`LLAMA_ORCH_CUDA=1`). */
  cudaBuild: boolean;
  /** Reads every NVIDIA GPU through NVML (loaded at run time) off the JS thread; never rejects for a
   * missing driver or library: those resolve with no devices and a reason. */
  probeGpus(libraryPath?: string): Promise<GpuProbe>;
}
