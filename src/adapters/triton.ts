// NVIDIA Triton with the TensorRT-LLM ensemble (server docs "Generate Extension", protocol/
// extension_generate.md): `POST /v2/models/{model}/generate_stream`, `/v2/health/ready`, model
// metadata, and its Prometheus metrics (port 8002 by default: set the pool's metrics_endpoint).
import { OrchError } from "../common/errors.js";
import { promptTokenBound } from "../control/token-count.js";
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

interface GenerateEvent {
  text_output?: string;
  error?: string;
}

export class TritonAdapter implements EngineAdapter {
  readonly engine = "triton" as const;
  // The generate extension has no grammar, no stop-free mode and reports no token counts.
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
    await this.http.probe("/v2/health/ready");
    await this.http.probe(`/v2/models/${this.model()}/ready`);
  }

  async facts(): Promise<EngineFacts> {
    const server = await this.http.json<{ version?: string }>("/v2");
    await this.http.json(`/v2/models/${this.model()}`);
    return { version: server.version ?? "unknown" };
  }

  async load(): Promise<EngineLoad> {
    const url = this.options.metricsUrl ?? `${this.http.endpoint}/metrics`;
    const samples = parsePrometheusText(await this.http.probe(url));
    const model = { model: this.options.servedModel };
    return {
      running: sumOf(samples, "nv_trt_llm_request_metrics", { request_type: "active" }) ?? 0,
      waiting: sumOf(samples, "nv_inference_pending_request_count", model) ?? 0,
    };
  }

  async *generate(request: AdapterRequest, signal: AbortSignal): AsyncGenerator<AdapterEvent> {
    if (request.grammar !== undefined) {
      throw new OrchError(
        "ENGINE_UNSUPPORTED",
        "triton pools take no grammar; drop `grammar` or use a llamacpp pool",
      );
    }
    const path = `/v2/models/${this.model()}/generate_stream`;
    let count = 0;
    for await (const data of this.http.events(path, body(request), signal)) {
      const event = JSON.parse(data) as GenerateEvent;
      if (event.error !== undefined) {
        throw new OrchError("POOL_UNAVAILABLE", `triton failed the stream: ${event.error}; retry`);
      }
      if (event.text_output) {
        count += 1;
        yield { type: "token", text: event.text_output, id: -1 };
      }
    }
    if (signal.aborted) return;
    // No finish reason in the protocol: a stream that used its whole budget ran to the length.
    yield {
      type: "end",
      finishReason: count >= request.maxTokens ? "length" : "stop",
      tokensOut: count,
    };
  }

  /** No tokenizer endpoint: the byte bound never admits a prompt that cannot fit. */
  async countTokens(text: string): Promise<number> {
    return promptTokenBound(text);
  }

  private model(): string {
    return encodeURIComponent(this.options.servedModel);
  }
}

function body(request: AdapterRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {
    text_input: request.prompt,
    max_tokens: request.maxTokens,
    stream: true,
    exclude_input_in_output: true,
  };
  if (request.stop.length > 0) out.stop_words = request.stop;
  if (request.seed !== undefined) out.random_seed = request.seed;
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.topK !== undefined) out.top_k = request.topK;
  if (request.topP !== undefined) out.top_p = request.topP;
  if (request.repeatPenalty !== undefined) out.repetition_penalty = request.repeatPenalty;
  return out;
}
