// llama-server (llama.cpp tools/server, README "API Endpoints"): `/completion` streaming with
// `cache_prompt` and `id_slot`, `/tokenize`, `/apply-template`, `/health`, `/props`, `/metrics`.
import { EngineHttp } from "./engine-http.js";
import { parsePrometheusText, sumOf } from "./prometheus-text.js";
import type {
  AdapterEvent,
  AdapterOptions,
  AdapterRequest,
  EngineAdapter,
  EngineFacts,
  EngineLoad,
} from "./types.js";

interface CompletionChunk {
  content?: string;
  tokens?: number[];
  stop?: boolean;
  id_slot?: number;
  stop_type?: string;
  tokens_predicted?: number;
  tokens_evaluated?: number;
  timings?: { cache_n?: number; prompt_ms?: number; predicted_ms?: number };
}

interface Props {
  default_generation_settings?: { n_ctx?: number };
  build_info?: string;
}

export class LlamaServerAdapter implements EngineAdapter {
  readonly engine = "llamacpp-server" as const;
  // Its batch shares decode calls across slots, so output under load is not batch-isolated.
  readonly features = {
    streaming: true,
    cancel: true,
    seed: true,
    strict_determinism: false,
    gbnf_grammar: true,
    stop_strings: true,
    sessions_kv_reuse: true,
    continuous_batching: true,
  };
  private readonly http: EngineHttp;
  private readonly options: AdapterOptions;
  /** Session -> the slot that last served it: llama-server keeps that slot's KV as its cache. */
  private readonly sessionSlots = new Map<string, number>();

  constructor(options: AdapterOptions) {
    this.options = options;
    this.http = new EngineHttp({ ...options, engine: this.engine });
  }

  async health(): Promise<void> {
    await this.http.probe("/health");
  }

  async facts(): Promise<EngineFacts> {
    const props = await this.http.json<Props>("/props");
    return {
      version: props.build_info ?? "unknown",
      contextSize: props.default_generation_settings?.n_ctx,
    };
  }

  async load(): Promise<EngineLoad> {
    const samples = parsePrometheusText(await this.http.probe(this.metricsUrl()));
    return {
      running: sumOf(samples, "llamacpp:requests_processing") ?? 0,
      waiting: sumOf(samples, "llamacpp:requests_deferred") ?? 0,
      decodeTokensPerSecond: sumOf(samples, "llamacpp:predicted_tokens_seconds"),
    };
  }

  /** Sessions whose KV a slot of the engine still holds (the last one each slot served). */
  warmSessions(): string[] {
    return [...this.sessionSlots.keys()];
  }

  async *generate(request: AdapterRequest, signal: AbortSignal): AsyncGenerator<AdapterEvent> {
    const body = this.body(request);
    for await (const data of this.http.events("/completion", body, signal)) {
      const chunk = JSON.parse(data) as CompletionChunk;
      const tokens = chunk.tokens ?? [];
      // A chunk normally carries one token; a stop string can flush held-back text with none.
      if (tokens.length > 0 || (chunk.content ?? "") !== "") {
        yield { type: "token", text: chunk.content ?? "", id: tokens[0] ?? -1 };
      }
      if (chunk.stop) {
        this.remember(request.sessionKey, chunk.id_slot);
        yield {
          type: "end",
          finishReason: chunk.stop_type === "limit" ? "length" : "stop",
          tokensIn: chunk.tokens_evaluated,
          tokensOut: chunk.tokens_predicted,
          cachedTokens: chunk.timings?.cache_n,
          promptMs: chunk.timings?.prompt_ms,
          decodeMs: chunk.timings?.predicted_ms,
        };
        return;
      }
    }
  }

  async countTokens(text: string): Promise<number> {
    // What the native worker counts: BOS added, special tokens parsed.
    const body = { content: text, add_special: true, parse_special: true };
    const reply = await this.http.json<{ tokens: unknown[] }>("/tokenize", body);
    return reply.tokens.length;
  }

  async applyChatTemplate(
    messages: readonly { role: string; content: string }[],
    addAssistant: boolean,
  ): Promise<string> {
    const body = { messages, add_generation_prompt: addAssistant };
    return (await this.http.json<{ prompt: string }>("/apply-template", body)).prompt;
  }

  private metricsUrl(): string {
    return this.options.metricsUrl ?? `${this.http.endpoint}/metrics`;
  }

  private body(request: AdapterRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      prompt: request.prompt,
      n_predict: request.maxTokens,
      stream: true,
      return_tokens: true,
      cache_prompt: true,
      stop: request.stop,
      ignore_eos: request.ignoreEos,
    };
    const slot = request.sessionKey ? this.sessionSlots.get(request.sessionKey) : undefined;
    if (slot !== undefined) body.id_slot = slot;
    if (request.seed !== undefined) body.seed = request.seed;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topK !== undefined) body.top_k = request.topK;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.minP !== undefined) body.min_p = request.minP;
    if (request.repeatPenalty !== undefined) body.repeat_penalty = request.repeatPenalty;
    if (request.grammar !== undefined) body.grammar = request.grammar;
    return body;
  }

  private remember(sessionKey: string | undefined, slot: number | undefined): void {
    if (slot === undefined || slot < 0) return;
    // The slot now caches this session's turn: whichever session it served before is cold.
    for (const [session, held] of this.sessionSlots)
      if (held === slot) this.sessionSlots.delete(session);
    if (sessionKey) this.sessionSlots.set(sessionKey, slot);
  }
}
