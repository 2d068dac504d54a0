// The one translation between OpenAI JSON (contracts/openapi/openai.yaml) and the proto messages.
import { OrchError } from "../common/errors.js";
import { type ChatOutput, type End, FinishReason } from "../gen/llama_orch/v1/common.js";
import type { Capabilities } from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/openai.js";

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
}

export function responseMeta(
  surface: Surface,
  taskId: string,
  model: string,
  echo?: string,
): ResponseMeta {
  const prefix = surface === "chat" ? "chatcmpl" : "cmpl";
  const created = Math.floor(Date.now() / 1000);
  return { surface, id: `${prefix}-${taskId}`, created, model, echo };
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
  return end.finishReason === FinishReason.FINISH_REASON_LENGTH ? "length" : "stop";
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
}

/** Calls get an id the model did not write: unique within the response, stable for its turn. */
function toToolCalls(meta: ResponseMeta, index: number, chat: ChatOutput): ToolCall[] {
  return chat.toolCalls.map((call, k) => ({
    id: call.id || `call_${meta.id.slice(-12)}_${index}_${k}`,
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
    }));
    return { id, object: "text_completion", created, model, choices, usage };
  }
  const choices = answers.map((a, index) => ({
    index,
    message: toMessage(meta, index, a),
    finish_reason: finishReason(a.end),
  }));
  return { id, object: "chat.completion", created, model, choices, usage };
}

type Delta = ChatCompletionChunk["choices"][number]["delta"];

function chunk(
  meta: ResponseMeta,
  index: number,
  delta: Delta,
  finish: Finish | null,
): Completion | ChatCompletionChunk {
  const { id, created, model } = meta;
  if (meta.surface === "completion") {
    const choices = [{ index, text: delta.content ?? "", finish_reason: finish }];
    return { id, object: "text_completion", created, model, choices };
  }
  const choices = [{ index, delta, finish_reason: finish }];
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

export function toTokenChunk(
  meta: ResponseMeta,
  index: number,
  text: string,
): Completion | ChatCompletionChunk {
  return chunk(meta, index, { content: text }, null);
}

/** A parsed answer sent whole at the end (requests with tools): its content, then its calls. */
export function toChatOutputChunks(
  meta: ResponseMeta,
  index: number,
  chat: ChatOutput,
): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [];
  const add = (delta: Delta) => out.push(chunk(meta, index, delta, null) as ChatCompletionChunk);
  if (chat.reasoningContent !== "") add({ reasoning_content: chat.reasoningContent });
  if (chat.content !== "") add({ content: chat.content });
  toToolCalls(meta, index, chat).forEach((call, k) => {
    add({ tool_calls: [{ index: k, ...call }] });
  });
  return out;
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
