// The one translation of task results into Anthropic Messages shapes: the Message, the streaming
// events, usage, stop reasons and Anthropic-shaped errors (contracts/openapi/anthropic.yaml).

import type { OrchError } from "../common/errors.js";
import { anthropicStopReasons } from "../common/finish-reasons.js";
import type { End, ToolCall } from "../gen/llama_orch/v1/common.js";
import type { components } from "../gen/openapi/anthropic.js";

type Schemas = components["schemas"];
export type Message = Schemas["Message"];
export type AnthropicError = Schemas["AnthropicErrorResponse"];
type Usage = Schemas["Usage"];
type OutputBlock = Message["content"][number];
type StopReason = Schemas["StopReason"];

/** What every event of one answer repeats. */
export interface MessageMeta {
  id: string;
  model: string;
}

export function messageMeta(taskId: string, model: string): MessageMeta {
  return { id: `msg_${taskId.replaceAll("-", "")}`, model };
}

/** Anthropic counts cache reads apart from input_tokens; their sum is the prompt. */
export function toUsage(end: End | undefined): Usage {
  const cached = end?.cachedTokens ?? 0;
  return {
    input_tokens: (end?.tokensIn ?? 0) - cached,
    output_tokens: end?.tokensOut ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/**
 * Why the answer ended. A matched stop string reads as end_turn: the engine cuts it without
 * saying which one matched, so stop_sequence stays null.
 */
export function stopReason(end: End): StopReason {
  if ((end.chat?.toolCalls.length ?? 0) > 0) return "tool_use";
  return anthropicStopReasons[end.finishReason];
}

function toolInput(call: ToolCall): Record<string, unknown> {
  try {
    const input: unknown = JSON.parse(call.arguments || "{}");
    if (typeof input === "object" && input !== null && !Array.isArray(input)) {
      return input as Record<string, unknown>;
    }
  } catch {
    // Falls through: arguments the grammar let through yet not an object stay visible as text.
  }
  return { arguments: call.arguments };
}

/** A call's id, or one made for it: the same whether the answer streams or not. */
export function toolUseId(id: string, index: number, meta: MessageMeta): string {
  return id || `toolu_${meta.id.slice("msg_".length)}_${index}`;
}

export function toToolUseBlock(call: ToolCall, index: number, meta: MessageMeta): OutputBlock {
  const id = toolUseId(call.id, index, meta);
  return { type: "tool_use", id, name: call.name, input: toolInput(call) };
}

/**
 * The answer's blocks: the chat format's parse when it ran (text, then tool calls), else the
 * raw text. A text block is always there when nothing else is, as Anthropic answers.
 */
export function toContent(meta: MessageMeta, text: string, end: End): OutputBlock[] {
  const content = end.chat ? end.chat.content : text;
  const calls = end.chat?.toolCalls ?? [];
  const blocks: OutputBlock[] =
    content !== "" || calls.length === 0 ? [{ type: "text", text: content }] : [];
  return [...blocks, ...calls.map((call, i) => toToolUseBlock(call, i, meta))];
}

export function toMessage(meta: MessageMeta, text: string, end: End): Message {
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content: toContent(meta, text, end),
    stop_reason: stopReason(end),
    stop_sequence: null,
    usage: toUsage(end),
  };
}

/** message_start: an empty message; the prompt's count is final in message_delta. */
export function messageStart(meta: MessageMeta): Schemas["StreamMessageStart"] {
  const message: Message = {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: toUsage(undefined),
  };
  return { type: "message_start", message };
}

export function messageDelta(end: End): Schemas["StreamMessageDelta"] {
  return {
    type: "message_delta",
    delta: { stop_reason: stopReason(end), stop_sequence: null },
    usage: toUsage(end),
  };
}

function errorType(status: number): AnthropicError["error"]["type"] {
  const byStatus: Record<number, AnthropicError["error"]["type"]> = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
  };
  return byStatus[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** Anthropic's error body; the message leads with the registry code for clients that match on it. */
export function toAnthropicError(error: OrchError): AnthropicError {
  const message = `${error.code}: ${error.message}`;
  return { type: "error", error: { type: errorType(error.httpStatus), message } };
}

/** The gateway's auth refusal (auth.ts) in Anthropic's shape. */
export function toAnthropicAuthError(
  status: number,
  body: { code: number; message: string; hint: string },
): AnthropicError {
  const message = `${body.message} (${body.code}): ${body.hint}`;
  return { type: "error", error: { type: errorType(status), message } };
}
