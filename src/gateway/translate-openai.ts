// The one translation between OpenAI JSON (contracts/openapi/openai.yaml) and the proto messages.

import { OrchError } from "../common/errors.js";
import { openaiFinishReasons } from "../common/finish-reasons.js";
import type { ChatDelta, ChatOutput, End, TokenLogprobs } from "../gen/llama_orch/v1/common.js";
import type { Capabilities } from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/openai.js";
import {
  type ChatLogprobs,
  type CompletionLogprobs,
  toChatLogprobs,
  toCompletionLogprobs,
} from "./openai-logprobs.js";

type Schemas = components["schemas"];
export type OpenAiError = Schemas["OpenAIErrorResponse"];
type Completion = Schemas["Completion"];
type ChatCompletion = Schemas["ChatCompletion"];
type ChatCompletionChunk = Schemas["ChatCompletionChunk"];
type Usage = Schemas["Usage"];
type ChatMessage = ChatCompletion["choices"][number]["message"];
type ToolCall = Schemas["ToolCall"];

/** Which OpenAI surface a task serves; it picks the response and chunk shapes. */
export type Surface = "completion" | "chat";

/** What every response and chunk of one task repeats. */
export interface ResponseMeta {
  surface: Surface;
  id: string;
  created: number;
  model: string;
  /** Completions with `echo`: the prompt, sent before the generated text. */
  echo?: string;
  /** The request asked for logprobs: choices carry them (else `logprobs: null`). */
  logprobs: boolean;
}

export function responseMeta(
  surface: Surface,
  taskId: string,
  model: string,
  options: { echo?: string; logprobs?: boolean } = {},
): ResponseMeta {
  const prefix = surface === "chat" ? "chatcmpl" : "cmpl";
  const created = Math.floor(Date.now() / 1000);
  const { echo, logprobs = false } = options;
  return { surface, id: `${prefix}-${taskId}`, created, model, echo, logprobs };
}

export function toModelList(capabilities: Capabilities, created: number): Schemas["ModelList"] {
  const ids = new Set(capabilities.engines.flatMap((engine) => engine.models));
  return {
    object: "list",
    data: [...ids].map((id) => ({ id, object: "model", created, owned_by: "llama-orch" })),
  };
}

type Finish = "stop" | "length" | "tool_calls";

function finishReason(end: End): Finish {
  if ((end.chat?.toolCalls.length ?? 0) > 0) return "tool_calls";
  return openaiFinishReasons[end.finishReason];
}

/** The prompt is counted once however many choices share it (OpenAI's `n`). */
function toUsage(ends: readonly End[]): Usage {
  const prompt_tokens = ends[0]?.tokensIn ?? 0;
  const completion_tokens = ends.reduce((sum, end) => sum + end.tokensOut, 0);
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens: prompt_tokens + completion_tokens,
    prompt_tokens_details: { cached_tokens: ends[0]?.cachedTokens ?? 0 },
  };
}

/** One choice: the text generated and how its task ended (with the parsed chat answer). */
export interface Answer {
  text: string;
  end: End;
  /** Each token's, when the request asked for logprobs. */
  logprobs: TokenLogprobs[];
}

/** The choice's logprobs in the surface's shape; null when the request did not ask. */
function logprobsOf(meta: ResponseMeta, tokens: readonly TokenLogprobs[]) {
  if (!meta.logprobs) return null;
  if (meta.surface === "chat") return toChatLogprobs(tokens);
  return toCompletionLogprobs(tokens, meta.echo?.length ?? 0);
}

/** Calls get an id the model did not write: unique within the response, stable for its turn. */
function callId(meta: ResponseMeta, index: number, k: number, id: string): string {
  return id || `call_${meta.id.slice(-12)}_${index}_${k}`;
}

function toToolCalls(meta: ResponseMeta, index: number, chat: ChatOutput): ToolCall[] {
  return chat.toolCalls.map((call, k) => ({
    id: callId(meta, index, k, call.id),
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments },
  }));
}

function toMessage(meta: ResponseMeta, index: number, answer: Answer): ChatMessage {
  const chat = answer.end.chat;
  if (!chat) return { role: "assistant", content: answer.text };
  const toolCalls = toToolCalls(meta, index, chat);
  const message: ChatMessage = {
    role: "assistant",
    content: chat.content === "" && toolCalls.length > 0 ? null : chat.content,
  };
  if (chat.reasoningContent !== "") message.reasoning_content = chat.reasoningContent;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/** The non-streaming answer: one choice per task, why each ended and the token counts. */
export function toResponse(
  meta: ResponseMeta,
  answers: readonly Answer[],
): Completion | ChatCompletion {
  const { id, created, model } = meta;
  const usage = toUsage(answers.map((a) => a.end));
  if (meta.surface === "completion") {
    const choices = answers.map((a, index) => ({
      index,
      text: (meta.echo ?? "") + a.text,
      finish_reason: finishReason(a.end),
      logprobs: logprobsOf(meta, a.logprobs) as CompletionLogprobs | null,
    }));
    return { id, object: "text_completion", created, model, choices, usage };
  }
  const choices = answers.map((a, index) => ({
    index,
    message: toMessage(meta, index, a),
    finish_reason: finishReason(a.end),
    logprobs: logprobsOf(meta, a.logprobs) as ChatLogprobs | null,
  }));
  return { id, object: "chat.completion", created, model, choices, usage };
}

type Delta = ChatCompletionChunk["choices"][number]["delta"];

function chunk(
  meta: ResponseMeta,
  index: number,
  delta: Delta,
  finish: Finish | null,
  tokens: readonly TokenLogprobs[] = [],
): Completion | ChatCompletionChunk {
  const { id, created, model } = meta;
  const logprobs = tokens.length > 0 ? logprobsOf(meta, tokens) : null;
  if (meta.surface === "completion") {
    const text = delta.content ?? "";
    const choices = [
      { index, text, finish_reason: finish, logprobs: logprobs as CompletionLogprobs | null },
    ];
    return { id, object: "text_completion", created, model, choices };
  }
  const choices = [
    { index, delta, finish_reason: finish, logprobs: logprobs as ChatLogprobs | null },
  ];
  return { id, object: "chat.completion.chunk", created, model, choices };
}

/** The chunk before any token: chat announces the assistant role; completions echo if asked. */
export function toOpeningChunk(
  meta: ResponseMeta,
  index: number,
): Completion | ChatCompletionChunk | undefined {
  if (meta.surface === "completion") {
    return meta.echo ? chunk(meta, index, { content: meta.echo }, null) : undefined;
  }
  return chunk(meta, index, { role: "assistant", content: "" }, null);
}

/** Tokens' text; `tokens` are the logprobs of the tokens it holds (and of any empty ones before). */
export function toTokenChunk(
  meta: ResponseMeta,
  index: number,
  text: string,
  tokens: readonly TokenLogprobs[] = [],
): Completion | ChatCompletionChunk {
  return chunk(meta, index, { content: text }, null, tokens);
}

/** Logprobs of tokens no text chunk carried (a stream with tools), before the finish chunk. */
export function toLogprobsChunk(
  meta: ResponseMeta,
  index: number,
  tokens: readonly TokenLogprobs[],
): Completion | ChatCompletionChunk {
  return chunk(meta, index, meta.surface === "chat" ? {} : { content: "" }, null, tokens);
}

/** A streamed answer's parsed growth: text, or a call's first part (id, name), then arguments. */
export function toDeltaChunks(
  meta: ResponseMeta,
  index: number,
  deltas: readonly ChatDelta[],
): ChatCompletionChunk[] {
  return deltas.map((d) => {
    if (d.toolCallIndex < 0) {
      const delta = d.reasoningContent !== "" ? { reasoning_content: d.reasoningContent } : {};
      return chunk(meta, index, d.content !== "" ? { content: d.content } : delta, null);
    }
    const k = d.toolCallIndex;
    const call =
      d.name !== ""
        ? {
            index: k,
            id: callId(meta, index, k, d.id),
            type: "function" as const,
            function: { name: d.name, arguments: d.arguments },
          }
        : { index: k, function: { arguments: d.arguments } };
    return chunk(meta, index, { tool_calls: [call] }, null);
  }) as ChatCompletionChunk[];
}

export function toFinishChunk(
  meta: ResponseMeta,
  index: number,
  end: End,
): Completion | ChatCompletionChunk {
  return chunk(meta, index, meta.surface === "chat" ? {} : { content: "" }, finishReason(end));
}

/** With stream_options.include_usage: one more chunk, no choices, the tasks' token counts. */
export function toUsageChunk(
  meta: ResponseMeta,
  ends: readonly End[],
): Completion | ChatCompletionChunk {
  const { id, created, model } = meta;
  const usage = toUsage(ends);
  if (meta.surface === "completion") {
    return { id, object: "text_completion", created, model, choices: [], usage };
  }
  return { id, object: "chat.completion.chunk", created, model, choices: [], usage };
}

function errorType(status: number): OpenAiError["error"]["type"] {
  if (status === 401 || status === 403) return "authentication_error";
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/** Codes OpenAI itself has a name for: its SDKs and agents match on these, not on ours. */
const OPENAI_CODES: Partial<Record<OrchError["code"], string>> = {
  MODEL_NOT_FOUND: "model_not_found",
};

/** OpenAI's error body with the registry code in `code`; `param` names the offending field. */
export function toOpenAiError(error: OrchError, param: string | null = null): OpenAiError {
  const code = OPENAI_CODES[error.code] ?? error.code;
  return { error: { message: error.message, type: errorType(error.httpStatus), param, code } };
}

/** The gateway's auth refusal (auth.ts) in OpenAI's shape, its numeric code as a string. */
export function toOpenAiAuthError(
  status: number,
  body: { code: number; message: string; hint: string },
): OpenAiError {
  const message = `${body.message}: ${body.hint}`;
  return { error: { message, type: errorType(status), param: null, code: String(body.code) } };
}

/** A stream that ended without `end`: an internal fault, never a normal finish. */
export function missingEnd(): OrchError {
  return new OrchError("INTERNAL", "the task's event stream ended without an end event");
}
