// Hugging Face Text Generation Inference (its OpenAPI, `docs/openapi.json`): `/generate_stream`
// (SSE of token objects), `/info`, `/health`, `/tokenize`, Prometheus `/metrics` (`tgi_*`).
import { OrchError } from "../common/errors.js";
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

interface StreamResponse {
  token?: { id: number; text: string; special?: boolean };
  generated_text?: string | null;
  details?: { finish_reason?: string; generated_tokens?: number; input_length?: number } | null;
  error?: string;
  error_type?: string;
}

interface Info {
  model_id?: string;
  version?: string;
  max_total_tokens?: number;
}

export class TgiAdapter implements EngineAdapter {
  readonly engine = "tgi" as const;
  // TGI's grammars are JSON schema or regex, not GBNF; it has no ignore_eos.
  readonly features = {
    streaming: true,
    cancel: true,
    seed: true,
    strict_determinism: false,
    gbnf_grammar: false,
    stop_strings: true,
    sessions_kv_reuse: false,
    continuous_batching: true,
  };
  private readonly http: EngineHttp;
  private readonly options: AdapterOptions;

  constructor(options: AdapterOptions) {
    this.options = options;
    this.http = new EngineHttp({ ...options, engine: this.engine });
  }

  async health(): Promise<void> {
    await this.http.probe("/health");
  }

  async facts(): Promise<EngineFacts> {
    const info = await this.http.json<Info>("/info");
    return { version: info.version ?? "unknown", contextSize: info.max_total_tokens };
  }

  async load(): Promise<EngineLoad> {
    const url = this.options.metricsUrl ?? `${this.http.endpoint}/metrics`;
    const samples = parsePrometheusText(await this.http.probe(url));
    return {
      running: sumOf(samples, "tgi_batch_current_size") ?? 0,
      waiting: sumOf(samples, "tgi_queue_size") ?? 0,
    };
  }

  async *generate(request: AdapterRequest, signal: AbortSignal): AsyncGenerator<AdapterEvent> {
    if (request.grammar !== undefined) {
      throw new OrchError(
        "ENGINE_UNSUPPORTED",
        "tgi pools take no GBNF grammar; drop `grammar` or use a llamacpp pool",
      );
    }
    const body = { inputs: request.prompt, parameters: parameters(request) };
    for await (const data of this.http.events("/generate_stream", body, signal)) {
      const event = JSON.parse(data) as StreamResponse;
      if (event.error !== undefined) throw streamError(event);
      // The end-of-sequence token arrives as a special token; its text is not output.
      if (event.token && !event.token.special) {
        yield { type: "token", text: event.token.text, id: event.token.id };
      }
      if (event.details) {
        yield {
          type: "end",
          finishReason: event.details.finish_reason === "length" ? "length" : "stop",
          tokensIn: event.details.input_length,
          tokensOut: event.details.generated_tokens,
        };
        return;
      }
    }
  }

  async countTokens(text: string): Promise<number> {
    const tokens = await this.http.json<unknown[]>("/tokenize", { inputs: text });
    return tokens.length;
  }
}

function parameters(request: AdapterRequest): Record<string, unknown> {
  // TGI rejects temperature 0: greedy decoding is do_sample false.
  const sample = request.temperature === undefined || request.temperature > 0;
  const out: Record<string, unknown> = {
    max_new_tokens: request.maxTokens,
    details: true,
    do_sample: sample,
    stop: request.stop,
  };
  if (sample && request.temperature !== undefined) out.temperature = request.temperature;
  if (request.seed !== undefined) out.seed = request.seed;
  if (request.topK !== undefined && request.topK > 0) out.top_k = request.topK;
  if (request.topP !== undefined && request.topP < 1) out.top_p = request.topP;
  if (request.repeatPenalty !== undefined) out.repetition_penalty = request.repeatPenalty;
  return out;
}

function streamError(event: StreamResponse): OrchError {
  const text = `tgi failed the stream: ${event.error}`;
  if (event.error_type === "overloaded") {
    return new OrchError("ENGINE_BUSY", `${text}; retry later`, { retryAfterMs: 1000 });
  }
  if (event.error_type === "validation")
    return new OrchError("INVALID_PARAMS", `${text}; fix the request`);
  return new OrchError("POOL_UNAVAILABLE", `${text}; retry`);
}
