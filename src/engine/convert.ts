// The one translation between the engine's TS shapes and the addon's native shapes.

import { isErrorCode, OrchError } from "../common/errors.js";
import type {
  NativeEvent,
  NativeLoadOptions,
  NativeModelInfo,
  NativeStats,
  NativeSubmitRequest,
} from "./native-addon.js";
import type {
  ChatRenderRequest,
  EmbedResult,
  EngineEvent,
  EngineOptions,
  EngineStats,
  ModelInfo,
  SubmitRequest,
} from "./types.js";

export function toNativeLoadOptions(options: EngineOptions): NativeLoadOptions {
  return { ...options };
}

/** A token-id prompt is copied: the addon reads it as a plain array. */
export function toNativeRequest(request: SubmitRequest): NativeSubmitRequest {
  const prompt = typeof request.prompt === "string" ? request.prompt : [...request.prompt];
  return { ...request, prompt };
}

function jsonOr(text: string | undefined, fallback: unknown): unknown {
  return text === undefined || text === "" ? fallback : JSON.parse(text);
}

/** The chat as llama.cpp common parses it: OpenAI's message and tool JSON. */
export function toNativeChat(request: ChatRenderRequest): string {
  const messages = request.messages.map((turn) => ({
    role: turn.role,
    content: turn.content,
    ...(turn.toolCalls && turn.toolCalls.length > 0
      ? {
          tool_calls: turn.toolCalls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          })),
        }
      : {}),
    ...(turn.toolCallId ? { tool_call_id: turn.toolCallId } : {}),
    ...(turn.name ? { name: turn.name } : {}),
  }));
  const tools = (request.tools ?? []).map((tool) => ({
    type: "function",
    function: {
      name: tool.name,
      description: tool.description,
      parameters: jsonOr(tool.parameters, { type: "object", properties: {} }),
    },
  }));
  return JSON.stringify({
    messages,
    tools,
    tool_choice: request.toolChoice || "auto",
    parallel_tool_calls: request.parallelToolCalls ?? false,
    json_schema: jsonOr(request.jsonSchema, null),
    add_generation_prompt: request.addAssistant ?? true,
  });
}

export function toModelInfo(info: NativeModelInfo, digest: string): ModelInfo {
  return { ...info, digest };
}

export function toEngineStats(stats: NativeStats): EngineStats {
  return { ...stats };
}

/** An `embedding` event's flat values as one vector per input, or its error. */
export function toEmbedResult(event: Extract<NativeEvent, { type: "embedding" }>): EmbedResult {
  if (event.errorCode) {
    const code = isErrorCode(event.errorCode) ? event.errorCode : "INTERNAL";
    throw new OrchError(code, event.errorMessage ?? "embedding failed");
  }
  const { dimensions, values } = event;
  const vectors: Float32Array[] = [];
  for (let at = 0; at < values.length; at += dimensions) {
    vectors.push(values.slice(at, at + dimensions));
  }
  return { vectors, tokens: event.tokens, ms: event.ms };
}

/** Token and end events for sequences; acks and embeddings are the engine's own business. */
export function toEngineEvent(
  event: Exclude<NativeEvent, { type: "ack" } | { type: "embedding" }>,
): EngineEvent {
  if (event.type === "token") {
    const token = { type: "token" as const, id: event.id, text: event.text, index: event.index };
    return event.logprobs === undefined ? token : { ...token, logprobs: event.logprobs };
  }
  const { seq: _seq, errorCode, errorMessage, ...end } = event;
  return errorCode ? { ...end, error: { code: errorCode, message: errorMessage ?? "" } } : end;
}
