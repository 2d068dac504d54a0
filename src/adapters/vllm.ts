// vLLM's OpenAI-compatible server (docs.vllm.ai "OpenAI-Compatible Server"): streaming
// `/v1/completions`, `/tokenize`, `/health`, `/v1/models`, Prometheus `/metrics` (`vllm:*`).
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

interface CompletionChunk {
  choices?: { text?: string; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
  } | null;
  error?: { message?: string } | string;
}

interface Models {
  data?: { id: string; max_model_len?: number; meta?: { n_ctx?: number } }[];
}

export class VllmAdapter implements EngineAdapter {
  readonly engine = "vllm" as const;
  // vLLM batches every running request into one forward pass: no batch isolation; its grammar
  // dialect is not GBNF, so a GBNF grammar is refused rather than silently ignored.
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
    const models = await this.http.json<Models>("/v1/models");
    const model = models.data?.find((m) => m.id === this.options.servedModel);
    if (!model) {
      const served = (models.data ?? []).map((m) => m.id).join(", ") || "none";
      throw new OrchError(
        "POOL_UNAVAILABLE",
        `vllm serves ${served}, not "${this.options.servedModel}"; fix the pool's served_model`,
      );
    }
    // llama-server, which speaks the same API, reports its context as meta.n_ctx.
    return { version: "vllm", contextSize: model.max_model_len ?? model.meta?.n_ctx };
  }

  async load(): Promise<EngineLoad> {
    const url = this.options.metricsUrl ?? `${this.http.endpoint}/metrics`;
    const samples = parsePrometheusText(await this.http.probe(url));
    const kv =
      sumOf(samples, "vllm:kv_cache_usage_perc") ?? sumOf(samples, "vllm:gpu_cache_usage_perc");
    return {
      running: sumOf(samples, "vllm:num_requests_running") ?? 0,
      waiting: sumOf(samples, "vllm:num_requests_waiting") ?? 0,
      kvUsage: kv,
    };
  }

  async *generate(request: AdapterRequest, signal: AbortSignal): AsyncGenerator<AdapterEvent> {
    if (request.grammar !== undefined) {
      throw new OrchError(
        "ENGINE_UNSUPPORTED",
        "vllm pools take no GBNF grammar; drop `grammar` or use a llamacpp pool",
      );
    }
    let finish: "stop" | "length" = "stop";
    let usage: CompletionChunk["usage"];
    for await (const data of this.http.events("/v1/completions", this.body(request), signal)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data) as CompletionChunk;
      if (chunk.error !== undefined) throw midStreamError(chunk.error);
      const choice = chunk.choices?.[0];
      if (choice?.text) yield { type: "token", text: choice.text, id: -1 };
      if (choice?.finish_reason) finish = choice.finish_reason === "length" ? "length" : "stop";
      if (chunk.usage) usage = chunk.usage;
    }
    if (signal.aborted) return;
    yield {
      type: "end",
      finishReason: finish,
      tokensIn: usage?.prompt_tokens,
      tokensOut: usage?.completion_tokens,
      cachedTokens: usage?.prompt_tokens_details?.cached_tokens,
    };
  }

  async countTokens(text: string): Promise<number> {
    const body = { model: this.options.servedModel, prompt: text };
    return (await this.http.json<{ count: number }>("/tokenize", body)).count;
  }

  private body(request: AdapterRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: this.options.servedModel,
      prompt: request.prompt,
      max_tokens: request.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      stop: request.stop,
      ignore_eos: request.ignoreEos,
    };
    if (request.seed !== undefined) body.seed = request.seed;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topK !== undefined) body.top_k = request.topK;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.minP !== undefined) body.min_p = request.minP;
    if (request.repeatPenalty !== undefined) body.repetition_penalty = request.repeatPenalty;
    return body;
  }
}

function midStreamError(error: NonNullable<CompletionChunk["error"]>): OrchError {
  const message = typeof error === "string" ? error : (error.message ?? "no message");
  return new OrchError("POOL_UNAVAILABLE", `vllm failed the stream: ${message}; retry`);
}
