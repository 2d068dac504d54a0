// The surface-neutral chat request (OpenAI and Anthropic routes both translate into it) and the
// task it becomes, carrying the template request the worker renders at admission.
import type { SamplingKnobValues } from "../common/sampling-bounds.js";
import type { ChatTemplateRequest, Sampling } from "../gen/llama_orch/v1/common.js";
import { TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";

/** A call the assistant made; `arguments` is JSON text as the model wrote it. */
export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One turn of the history, content already flattened to text (no image or audio parts). */
export type ChatTurn =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string; toolCalls: ChatToolCall[] }
  | { role: "tool"; content: string; toolCallId: string; name?: string };

/** A function the model may call; `parameters` is its JSON Schema (absent: no arguments). */
export interface ChatTool {
  name: string;
  description: string;
  parameters?: Record<string, unknown>;
}

/** `function`: the model must call exactly that tool. */
export type ChatToolChoice =
  | { mode: "auto" }
  | { mode: "none" }
  | { mode: "required" }
  | { mode: "function"; name: string };

/** `json`: any JSON object; `json_schema`: JSON valid against `schema`. */
export type ChatResponseFormat =
  | { type: "text" }
  | { type: "json" }
  | { type: "json_schema"; schema: Record<string, unknown> };

/** Sampling knobs in engine terms (the bounds table's); absent ones take the engine's defaults. */
export interface ChatSampling extends SamplingKnobValues {
  /** Token id -> bias added to its logit; -100 bans it. */
  logitBias?: ReadonlyMap<number, number>;
}

/** A validated chat request: every field checked and defaulted by the surface that built it. */
export interface ChatRequest {
  model: string;
  messages: ChatTurn[];
  tools: ChatTool[];
  toolChoice: ChatToolChoice;
  parallelToolCalls: boolean;
  responseFormat: ChatResponseFormat;
  sampling: ChatSampling;
  maxTokens: number;
  stop: string[];
  seed?: number;
  ignoreEos: boolean;
  sessionId?: string;
  /** The end user the client names (OpenAI `user`, Anthropic `metadata.user_id`): logged. */
  user?: string;
}

/** What the worker's chat template takes: turns, tools and the output constraint. */
export function toChatTemplateRequest(chat: ChatRequest): ChatTemplateRequest {
  const forced = chat.toolChoice.mode === "function" ? chat.toolChoice.name : undefined;
  const tools = chat.toolChoice.mode === "none" ? [] : chat.tools;
  return {
    modelRef: chat.model,
    messages: chat.messages.map((turn) => ({
      role: turn.role,
      content: turn.content,
      toolCalls: turn.role === "assistant" ? turn.toolCalls : [],
      toolCallId: turn.role === "tool" ? turn.toolCallId : "",
      name: turn.role === "tool" ? (turn.name ?? "") : "",
    })),
    addAssistant: true,
    tools: tools
      .filter((tool) => forced === undefined || tool.name === forced)
      .map((tool) => ({
        name: tool.name,
        description: tool.description,
        parametersJson: tool.parameters === undefined ? "" : JSON.stringify(tool.parameters),
      })),
    // llama.cpp's chat formats know auto/none/required; a named function is required of one tool.
    toolChoice: forced !== undefined ? "required" : chat.toolChoice.mode,
    parallelToolCalls: chat.parallelToolCalls,
    jsonSchema: jsonSchemaOf(chat.responseFormat),
  };
}

/** The JSON Schema text a response format constrains the output to; "" for free text. */
export function jsonSchemaOf(format: ChatResponseFormat): string {
  if (format.type === "json") return JSON.stringify({ type: "object" });
  if (format.type === "json_schema") return JSON.stringify(format.schema);
  return "";
}

/** The task's sampling: undefined when nothing was given, so the engine's defaults apply. */
export function toTaskSampling(sampling: ChatSampling): Sampling | undefined {
  const { logitBias, ...knobs } = sampling;
  const bias = [...(logitBias ?? new Map<number, number>())].map(([token, value]) => ({
    token,
    bias: value,
  }));
  const given = Object.values(knobs).some((v) => v !== undefined) || bias.length > 0;
  if (!given) return undefined;
  return { ...knobs, logitBias: bias.length > 0 ? { entries: bias } : undefined };
}

/**
 * The task for a chat: its turns, tools and output constraint go as they are; the control plane
 * has a worker render and tokenize them once, and adds the chat format's grammar and stops.
 */
export function toChatTask(chat: ChatRequest, streamDeltas = false): TaskRequest {
  return TaskRequest.fromPartial({
    modelRef: chat.model,
    sessionId: chat.sessionId ?? "",
    maxTokens: chat.maxTokens,
    seed: chat.seed,
    sampling: toTaskSampling(chat.sampling),
    stop: chat.stop,
    ignoreEos: chat.ignoreEos,
    chat: toChatTemplateRequest(chat),
    chatFormat: streamDeltas ? { streamDeltas } : undefined,
  });
}
