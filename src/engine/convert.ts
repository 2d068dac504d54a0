// The one translation between the engine's TS shapes and the addon's native shapes.
import type {
  NativeEvent,
  NativeLoadOptions,
  NativeModelInfo,
  NativeStats,
} from "./native-addon.js";
import type {
  ChatRenderRequest,
  EngineEvent,
  EngineOptions,
  EngineStats,
  ModelInfo,
  SubmitRequest,
} from "./types.js";

export function toNativeLoadOptions(options: EngineOptions): NativeLoadOptions {
  return { ...options };
}

export function toNativeRequest(request: SubmitRequest): object {
  return {
    prompt: typeof request.prompt === "string" ? request.prompt : [...request.prompt],
    maxTokens: request.maxTokens,
    sampling: request.sampling,
    stop: request.stop,
    grammar: request.grammar,
    jsonSchema: request.jsonSchema,
    grammarLazy: request.grammarLazy,
    grammarTriggers: request.grammarTriggers,
    grammarPrefill: request.grammarPrefill,
    strict: request.strict,
    sessionKey: request.sessionKey,
    cacheTenant: request.cacheTenant,
    ignoreEos: request.ignoreEos,
  };
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

/** Token and end events for sequences; acks are the engine's own business. */
export function toEngineEvent(event: Exclude<NativeEvent, { type: "ack" }>): EngineEvent {
  if (event.type === "token") {
    const token = { type: "token" as const, id: event.id, text: event.text, index: event.index };
    return event.logprobs === undefined ? token : { ...token, logprobs: event.logprobs };
  }
  const { seq: _seq, errorCode, errorMessage, ...end } = event;
  return errorCode ? { ...end, error: { code: errorCode, message: errorMessage ?? "" } } : end;
}
