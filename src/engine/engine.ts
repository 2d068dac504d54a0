// The engine's TS face: load a model, submit sequences, read their events, cancel, dispose.
import { OrchError } from "../common/errors.js";
import { modelDigest } from "../models/model-digest.js";
import { addon } from "./binding.js";
import {
  toEmbedResult,
  toEngineEvent,
  toEngineStats,
  toModelInfo,
  toNativeChat,
  toNativeLoadOptions,
  toNativeRequest,
} from "./convert.js";
import { fromNative, native } from "./engine-errors.js";
import type { NativeEngine, NativeEvent } from "./native-addon.js";
import { Sequence } from "./sequence.js";
import type {
  ChatDelta,
  ChatParse,
  ChatRender,
  ChatRenderRequest,
  EmbedResult,
  EngineOptions,
  EngineStats,
  ModelInfo,
  SubmitRequest,
} from "./types.js";

export class Engine {
  readonly info: ModelInfo;
  private readonly sequences = new Map<number, Sequence>();
  private readonly acks = new Map<number, (found: boolean) => void>();
  private readonly embeds = new Map<
    number,
    { resolve(r: EmbedResult): void; reject(e: unknown): void }
  >();
  private nativeEngine: NativeEngine | undefined;

  private constructor(info: ModelInfo) {
    this.info = info;
  }

  /** Loads the model off the JS thread. Rejects with an OrchError (MODEL_NOT_FOUND, MODEL_INVALID, ...). */
  static async load(options: EngineOptions): Promise<Engine> {
    let engine: Engine | undefined;
    const onEvents = (events: NativeEvent[]) => engine?.dispatch(events);
    let handle: NativeEngine;
    try {
      handle = await addon.loadEngine(toNativeLoadOptions(options), onEvents);
    } catch (error) {
      throw fromNative(error);
    }
    const digest = await modelDigest(options.modelPath).catch(async (error: unknown) => {
      await handle.dispose();
      throw new OrchError("MODEL_NOT_FOUND", `cannot read ${options.modelPath}: ${String(error)}`);
    });
    engine = new Engine(toModelInfo(handle.info(), digest));
    engine.nativeEngine = handle;
    return engine;
  }

  /** The llama.cpp commit the addon was built from. */
  static get engineVersion(): string {
    return addon.llamaCppCommit;
  }

  /** Whether the loaded addon has llama.cpp's CUDA backend (see LLAMA_ORCH_ADDON). */
  static get cudaBuild(): boolean {
    return addon.cudaBuild === true;
  }

  /** Queues a sequence. Throws an OrchError for invalid input; never blocks on generation. */
  submit(request: SubmitRequest): Sequence {
    const handle = this.handle();
    const id = native(() => handle.submit(toNativeRequest(request)));
    const sequence = new Sequence(id, (seq) => this.cancel(seq));
    this.sequences.set(id, sequence);
    return sequence;
  }

  /**
   * Cancels a live sequence by id; resolves once the engine has applied it (false when it ended on
   * its own first). An id that is not live is SEQUENCE_UNKNOWN.
   */
  cancel(id: number): Promise<boolean> {
    const handle = this.handle();
    if (!this.sequences.has(id)) {
      return Promise.reject(
        new OrchError(
          "SEQUENCE_UNKNOWN",
          `no live sequence with id ${id}: it ended already or never existed`,
        ),
      );
    }
    const ack = native(() => handle.cancel(id));
    return new Promise((resolve) => this.acks.set(ack, resolve));
  }

  /**
   * Embeddings engines: one unit-length vector per input (text is tokenized as a prompt is, BOS
   * and special tokens included). Throws an OrchError for invalid input (CONTEXT_TOO_LARGE for an
   * input longer than the context); evaluation runs on the engine's loop.
   */
  embed(inputs: readonly (string | readonly number[])[]): Promise<EmbedResult> {
    const handle = this.handle();
    const tokens = inputs.map((input) =>
      typeof input === "string" ? this.tokenize(input, { parseSpecial: true }) : input,
    );
    const id = native(() => handle.embed(tokens));
    return new Promise((resolve, reject) => this.embeds.set(id, { resolve, reject }));
  }

  tokenize(text: string, options: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    const handle = this.handle();
    return native(() =>
      handle.tokenize(text, options.addSpecial ?? true, options.parseSpecial ?? false),
    );
  }

  detokenize(tokens: readonly number[]): string {
    const handle = this.handle();
    return native(() => handle.detokenize(tokens));
  }

  /** The chat rendered by the model's Jinja template with llama.cpp common: tools, JSON schema. */
  renderChat(request: ChatRenderRequest): ChatRender {
    const handle = this.handle();
    return native(() => handle.renderChat(toNativeChat(request)));
  }

  /** The answer parsed by the chat format renderChat chose: content and tool calls. */
  parseChat(text: string, parser: string): ChatParse {
    const handle = this.handle();
    return native(() => handle.parseChat(text, parser));
  }

  /**
   * What the answer gained from `previous` to `text` (longer, same answer), both parsed as partial
   * unless `final`: the deltas a stream sends. Null when common cannot diff them.
   */
  diffChat(previous: string, text: string, parser: string, final: boolean): ChatDelta[] | null {
    const handle = this.handle();
    return native(() => handle.diffChat(previous, text, parser, final));
  }

  stats(): EngineStats {
    const handle = this.handle();
    return toEngineStats(native(() => handle.stats()));
  }

  /** Ends every sequence (as cancelled), stops the loop and frees the model. Idempotent. */
  async dispose(): Promise<void> {
    const handle = this.nativeEngine;
    if (!handle) return;
    await handle.dispose();
    this.nativeEngine = undefined;
  }

  private handle(): NativeEngine {
    if (!this.nativeEngine)
      throw new OrchError("ENGINE_DISPOSED", "the engine was disposed; load a new one");
    return this.nativeEngine;
  }

  private settleEmbed(event: Extract<NativeEvent, { type: "embedding" }>): void {
    const waiter = this.embeds.get(event.id);
    this.embeds.delete(event.id);
    try {
      waiter?.resolve(toEmbedResult(event));
    } catch (error) {
      waiter?.reject(error);
    }
  }

  private dispatch(events: NativeEvent[]): void {
    for (const event of events) {
      if (event.type === "ack") {
        this.acks.get(event.ack)?.(event.found);
        this.acks.delete(event.ack);
        continue;
      }
      if (event.type === "embedding") {
        this.settleEmbed(event);
        continue;
      }
      this.sequences.get(event.seq)?.push(toEngineEvent(event));
      if (event.type === "end") this.sequences.delete(event.seq);
    }
  }
}
