// OpenAI's streamed /v1/completions, the surface both servers offer, as one timed request.
import { requestEvents } from "./http-request.js";
import { RequestClock } from "./request-clock.js";
import type { RequestSample } from "./types.js";

export interface CompletionCall {
  prompt: string;
  maxTokens: number;
  seed: number;
  /** What the server's model field wants: llama-orch's model ref; llama-server ignores it. */
  model: string;
  /** Server-specific fields (llama-server's `cache_prompt`). */
  extraBody?: Record<string, unknown>;
  /** Server-specific headers (llama-orch's `X-Session-Id`). */
  headers?: Record<string, string>;
}

/** The fields of a streamed completion chunk this client reads. */
interface CompletionChunk {
  choices?: { text?: string }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  };
  /** llama-server's own figures; cache_n: prompt tokens it reused. */
  timings?: { cache_n?: number };
  error?: { message?: string };
}

/**
 * Token chunks are those with text: llama-server's last chunk (finish_reason) carries "" and the
 * usage, llama-orch sends an empty finish chunk and then a usage chunk. Both count the tokens
 * in `usage`, which must equal max_tokens.
 */
export async function streamCompletion(
  origin: string,
  call: CompletionCall,
): Promise<RequestSample> {
  const body = {
    model: call.model,
    prompt: call.prompt,
    max_tokens: call.maxTokens,
    temperature: 0,
    seed: call.seed,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
    ...call.extraBody,
  };
  const clock = new RequestClock();
  let usage: CompletionChunk["usage"];
  let cacheN: number | undefined;
  let done = false;
  const path = "/v1/completions";
  await requestEvents(origin, { method: "POST", path, body, headers: call.headers }, (event) => {
    if (event.data === "[DONE]") {
      done = true;
      return;
    }
    const chunk = JSON.parse(event.data) as CompletionChunk;
    if (chunk.error) throw new Error(`stream error: ${chunk.error.message}`);
    const text = chunk.choices?.[0]?.text;
    if (text) clock.chunk(text);
    if (chunk.usage) usage = chunk.usage;
    if (chunk.timings?.cache_n !== undefined) cacheN = chunk.timings.cache_n;
  });
  if (!done) throw new Error("the stream ended without [DONE]");
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? cacheN;
  return clock.end(call.maxTokens, usage?.prompt_tokens ?? 0, usage?.completion_tokens, cached);
}
