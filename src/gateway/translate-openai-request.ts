// OpenAI request bodies (contracts/openapi/openai.yaml) into the chat request and the completion
// task: the fields that cannot apply are refused here, naming the field and why.
import { OrchError } from "../common/errors.js";
import { TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/openai.js";
import {
  type ChatRequest,
  type ChatResponseFormat,
  type ChatSampling,
  type ChatToolChoice,
  type ChatTurn,
  toTaskSampling,
} from "./chat-request.js";

type Schemas = components["schemas"];
export type CompletionRequest = Schemas["CompletionRequest"];
export type ChatCompletionRequest = Schemas["ChatCompletionRequest"];
type Message = Schemas["ChatMessage"];
type Sampling = Schemas["Sampling"];

/** OpenAI's documented default for completions; chat gets room for a short answer. */
export const DEFAULT_MAX_TOKENS = { completion: 16, chat: 256 } as const;

/** INVALID_PARAMS about one field, which OpenAI's error body names in `param`. */
export class ParamError extends OrchError {
  readonly param: string;
  constructor(param: string, message: string) {
    super("INVALID_PARAMS", `${param}: ${message}`);
    this.param = param;
  }
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Chat fields that name something this server does not have, with the reason. */
const refusedChatFields: ReadonlyArray<[keyof ChatCompletionRequest, string]> = [
  ["audio", "audio output needs an audio model; this server serves text models"],
  ["prediction", "predicted outputs are not supported; send the request without it"],
  ["web_search_options", "there is no web search here; give the model a tool instead"],
  ["functions", "the deprecated functions field is not supported; send tools instead"],
  [
    "function_call",
    "the deprecated function_call field is not supported; send tool_choice instead",
  ],
];

function checkRefusedChatFields(body: ChatCompletionRequest): void {
  for (const [field, why] of refusedChatFields) {
    const value = body[field];
    if (present(value) && value !== false) throw new ParamError(field, why);
  }
  if (body.store === true)
    throw new ParamError("store", "responses are not stored here; send store: false");
  if (body.modalities?.includes("audio")) {
    throw new ParamError("modalities", 'audio output needs an audio model; ask for ["text"]');
  }
  if (present(body.top_logprobs) && body.logprobs !== true) {
    throw new ParamError("top_logprobs", "alternatives come with logprobs: set logprobs to true");
  }
}

/** Chat: `logprobs: true` reports the sampled tokens, `top_logprobs` as many alternatives each. */
function chatLogprobs(body: ChatCompletionRequest): number | undefined {
  return body.logprobs === true ? (body.top_logprobs ?? 0) : undefined;
}

function toSampling(body: Sampling): ChatSampling {
  const sampling: ChatSampling = {
    temperature: body.temperature,
    topP: body.top_p,
    topK: body.top_k,
    minP: body.min_p,
    repeatPenalty: body.repeat_penalty,
    presencePenalty: body.presence_penalty,
    frequencyPenalty: body.frequency_penalty,
  };
  if (body.logit_bias) {
    sampling.logitBias = new Map(
      Object.entries(body.logit_bias).map(([token, bias]) => [Number(token), bias]),
    );
  }
  return sampling;
}

function stopOf(stop: Sampling["stop"]): string[] {
  if (stop === undefined || stop === null) return [];
  return typeof stop === "string" ? [stop] : stop;
}

/** Content as a string or parts; only text (and an assistant's refusal) applies to a text model. */
function textOf(content: Message["content"], at: string): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, j) => {
      if (part.type === "text") return part.text ?? "";
      if (part.type === "refusal") return part.refusal ?? "";
      throw new ParamError(
        `${at}.content[${j}].type`,
        `${part.type} parts need a multimodal model; this pool serves a text model, send text parts`,
      );
    })
    .join("\n");
}

function toTurn(message: Message, i: number): ChatTurn {
  const at = `messages[${i}]`;
  if (present(message.audio)) throw new ParamError(`${at}.audio`, "a text model takes no audio");
  const content = textOf(message.content, at);
  if (message.role === "assistant") {
    const toolCalls = (message.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    }));
    return { role: "assistant", content, toolCalls };
  }
  if (message.role === "tool") {
    if (!message.tool_call_id) {
      throw new ParamError(`${at}.tool_call_id`, "a tool turn names the call it answers");
    }
    return { role: "tool", content, toolCallId: message.tool_call_id, name: message.name };
  }
  return { role: message.role === "user" ? "user" : "system", content };
}

function toToolChoice(body: ChatCompletionRequest): ChatToolChoice {
  const choice = body.tool_choice;
  const names = (body.tools ?? []).map((tool) => tool.function.name);
  if (choice === undefined) return { mode: names.length > 0 ? "auto" : "none" };
  if (typeof choice === "string") {
    if (choice === "required" && names.length === 0) {
      throw new ParamError("tool_choice", "required needs at least one tool in tools");
    }
    return { mode: choice };
  }
  const name = choice.function.name;
  if (!names.includes(name)) {
    throw new ParamError(
      "tool_choice",
      `function "${name}" is not one of tools (${names.join(", ")})`,
    );
  }
  return { mode: "function", name };
}

/** OpenAI's response_format (the native API takes the same shape). */
export function toResponseFormat(
  format: ChatCompletionRequest["response_format"],
): ChatResponseFormat {
  if (format === undefined || format.type === "text") return { type: "text" };
  if (format.type === "json_object") return { type: "json" };
  const schema = format.json_schema?.schema;
  if (schema === undefined) return { type: "json" };
  return { type: "json_schema", schema };
}

/** The chat request of an OpenAI chat body; throws ParamError for fields that cannot apply. */
export function toChatRequest(
  body: ChatCompletionRequest,
  sessionId: string | undefined,
): ChatRequest {
  checkRefusedChatFields(body);
  return {
    model: body.model,
    messages: body.messages.map(toTurn),
    tools: (body.tools ?? []).map(({ function: f }) => ({
      name: f.name,
      description: f.description ?? "",
      parameters: f.parameters,
    })),
    toolChoice: toToolChoice(body),
    parallelToolCalls: body.parallel_tool_calls ?? true,
    responseFormat: toResponseFormat(body.response_format),
    sampling: { ...toSampling(body), logprobs: chatLogprobs(body) },
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS.chat,
    stop: stopOf(body.stop),
    seed: body.seed ?? undefined,
    ignoreEos: body.ignore_eos ?? false,
    sessionId,
    user: body.user,
  };
}

function checkCompletionFields(body: CompletionRequest): void {
  if (present(body.suffix)) {
    throw new ParamError("suffix", "fill-in-the-middle is not supported; send the prompt alone");
  }
  if (present(body.best_of) && body.best_of !== (body.n ?? 1)) {
    throw new ParamError("best_of", "choices are not ranked here; leave best_of out or equal to n");
  }
}

/** The completion task: the prompt as given (one string, or an array of exactly one). */
export function toCompletionTask(
  body: CompletionRequest,
  sessionId: string | undefined,
): TaskRequest {
  checkCompletionFields(body);
  return TaskRequest.fromPartial({
    modelRef: body.model,
    sessionId: sessionId ?? "",
    prompt: typeof body.prompt === "string" ? body.prompt : body.prompt[0],
    maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS.completion,
    seed: body.seed ?? undefined,
    sampling: toTaskSampling({ ...toSampling(body), logprobs: body.logprobs ?? undefined }),
    stop: stopOf(body.stop),
    ignoreEos: body.ignore_eos ?? false,
  });
}
