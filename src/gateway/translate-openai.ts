// The one translation between OpenAI JSON (contracts/openapi/openai.yaml) and the proto messages.
import { OrchError } from "../common/errors.js";
import { type ChatTemplateRequest, type End, FinishReason } from "../gen/llama_orch/v1/common.js";
import { type Capabilities, TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/openai.js";
import { cacheTenant } from "./cache-tenant.js";

type Schemas = components["schemas"];
export type CompletionRequest = Schemas["CompletionRequest"];
export type ChatCompletionRequest = Schemas["ChatCompletionRequest"];
export type OpenAiError = Schemas["OpenAIErrorResponse"];
type Completion = Schemas["Completion"];
type ChatCompletion = Schemas["ChatCompletion"];
type ChatCompletionChunk = Schemas["ChatCompletionChunk"];
type Usage = Schemas["Usage"];

/** Which OpenAI surface a task serves; it picks the response and chunk shapes. */
export type Surface = "completion" | "chat";

/** OpenAI's documented default for completions; chat gets room for a short answer. */
export const DEFAULT_MAX_TOKENS: Record<Surface, number> = { completion: 16, chat: 256 };

/** What every response and chunk of one task repeats. */
export interface ResponseMeta {
  surface: Surface;
  id: string;
  created: number;
  model: string;
}

export function responseMeta(surface: Surface, taskId: string, model: string): ResponseMeta {
  const prefix = surface === "chat" ? "chatcmpl" : "cmpl";
  return { surface, id: `${prefix}-${taskId}`, created: Math.floor(Date.now() / 1000), model };
}

/** The task for a request whose prompt is already final (chat: after the chat template). */
export function toTaskRequest(
  surface: Surface,
  body: CompletionRequest | ChatCompletionRequest,
  prompt: string,
  sessionId: string | undefined,
  identity: string,
): TaskRequest {
  const sampling =
    body.temperature === undefined && body.top_p === undefined
      ? undefined
      : { temperature: body.temperature, topP: body.top_p };
  return TaskRequest.fromPartial({
    modelRef: body.model,
    sessionId: sessionId ?? "",
    prompt,
    maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS[surface],
    seed: body.seed,
    sampling,
    stop: body.stop === undefined ? [] : typeof body.stop === "string" ? [body.stop] : body.stop,
    ignoreEos: body.ignore_eos ?? false,
    cacheSalt: cacheTenant(identity, body.cache_salt),
  });
}

export function toChatTemplateRequest(body: ChatCompletionRequest): ChatTemplateRequest {
  return {
    modelRef: body.model,
    messages: body.messages.map(({ role, content }) => ({ role, content })),
    addAssistant: true,
  };
}

export function toModelList(capabilities: Capabilities, created: number): Schemas["ModelList"] {
  const ids = new Set(capabilities.engines.flatMap((engine) => engine.models));
  return {
    object: "list",
    data: [...ids].map((id) => ({ id, object: "model", created, owned_by: "llama-orch" })),
  };
}

function finishReason(end: End): "stop" | "length" {
  return end.finishReason === FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
}

function toUsage(end: End): Usage {
  return {
    prompt_tokens: end.tokensIn,
    completion_tokens: end.tokensOut,
    total_tokens: end.tokensIn + end.tokensOut,
    prompt_tokens_details: { cached_tokens: end.cachedTokens },
  };
}

/** The non-streaming answer: the whole text, why it ended and the token counts. */
export function toResponse(
  meta: ResponseMeta,
  text: string,
  end: End,
): Completion | ChatCompletion {
  const { id, created, model } = meta;
  const finish_reason = finishReason(end);
  const usage = toUsage(end);
  if (meta.surface === "completion") {
    const choices = [{ index: 0, text, finish_reason }];
    return { id, object: "text_completion", created, model, choices, usage };
  }
  const choices = [
    { index: 0, message: { role: "assistant" as const, content: text }, finish_reason },
  ];
  return { id, object: "chat.completion", created, model, choices, usage };
}

type Delta = { role?: "assistant"; content?: string };

function chunk(
  meta: ResponseMeta,
  delta: Delta,
  finish: "stop" | "length" | null,
): Completion | ChatCompletionChunk {
  const { id, created, model } = meta;
  if (meta.surface === "completion") {
    const choices = [{ index: 0, text: delta.content ?? "", finish_reason: finish }];
    return { id, object: "text_completion", created, model, choices };
  }
  const choices = [{ index: 0, delta, finish_reason: finish }];
  return { id, object: "chat.completion.chunk", created, model, choices };
}

/** The chunk before any token: chat announces the assistant role; completions send nothing. */
export function toOpeningChunk(meta: ResponseMeta): ChatCompletionChunk | undefined {
  if (meta.surface !== "chat") return undefined;
  return chunk(meta, { role: "assistant", content: "" }, null) as ChatCompletionChunk;
}

export function toTokenChunk(meta: ResponseMeta, text: string): Completion | ChatCompletionChunk {
  return chunk(meta, { content: text }, null);
}

export function toFinishChunk(meta: ResponseMeta, end: End): Completion | ChatCompletionChunk {
  return chunk(meta, meta.surface === "chat" ? {} : { content: "" }, finishReason(end));
}

/** With stream_options.include_usage: one more chunk, no choices, the task's token counts. */
export function toUsageChunk(meta: ResponseMeta, end: End): Completion | ChatCompletionChunk {
  const { id, created, model } = meta;
  const usage = toUsage(end);
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

/** OpenAI's error body with the registry code in `code`; `param` names the offending field. */
export function toOpenAiError(error: OrchError, param: string | null = null): OpenAiError {
  return {
    error: { message: error.message, type: errorType(error.httpStatus), param, code: error.code },
  };
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
