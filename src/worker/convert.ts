// The one translation between the worker's proto messages and the engine's TS shapes.
import { isErrorCode, OrchError } from "../common/errors.js";
import { protoFinishReasons } from "../common/finish-reasons.js";
import { toErrorDetail } from "../common/grpc-errors.js";
import { knobValues } from "../common/sampling-bounds.js";
import type {
  ChatDelta,
  ChatParse,
  ChatRender,
  ChatRenderRequest,
  EmbedResult,
  EndEvent,
  Sampling,
  SubmitRequest,
  TokenEvent,
  TokenLogprobs,
} from "../engine/types.js";
import type {
  ChatOutput,
  ChatTemplateRequest,
  ChatTemplateResponse,
  Sampling as ProtoSampling,
  TokenLogprobs as ProtoTokenLogprobs,
  Token,
} from "../gen/llama_orch/v1/common.js";
import type { GenerateEvent, GenerateRequest } from "../gen/llama_orch/v1/worker.js";

/** Proto optionals are `undefined` when unset; only set fields reach the engine, so its defaults apply. */
function toSampling(sampling: ProtoSampling | undefined): Sampling | undefined {
  if (sampling === undefined) return undefined;
  const out: Sampling = knobValues(sampling);
  if (sampling.seed !== undefined) out.seed = sampling.seed;
  const bias = sampling.logitBias?.entries ?? [];
  if (bias.length > 0) out.logitBias = bias.map(({ token, bias }) => ({ token, bias }));
  return out;
}

/** Proto3 strings default to "": empty means "not given" for grammar and session key. */
export function toSubmitRequest(request: GenerateRequest): SubmitRequest {
  // A prompt the control plane had prepared arrives as token ids: never tokenized a second time.
  const prompt = request.promptTokens.length > 0 ? request.promptTokens : request.prompt;
  const submit: SubmitRequest = { prompt, maxTokens: request.maxTokens };
  const sampling = toSampling(request.sampling);
  if (sampling !== undefined) submit.sampling = sampling;
  if (request.stop.length > 0) submit.stop = request.stop;
  if (request.grammar !== "") submit.grammar = request.grammar;
  if (request.jsonSchema !== "") submit.jsonSchema = request.jsonSchema;
  if (request.chatFormat?.grammarPrefill) submit.grammarPrefill = request.chatFormat.grammarPrefill;
  if (request.chatFormat?.grammarLazy) {
    submit.grammarLazy = true;
    submit.grammarTriggers = request.chatFormat.grammarTriggers;
  }
  if (request.strict) submit.strict = true;
  if (request.sessionKey !== "") submit.sessionKey = request.sessionKey;
  if (request.ignoreEos) submit.ignoreEos = true;
  if (request.cacheTenant !== "") submit.cacheTenant = request.cacheTenant;
  return submit;
}

function bytesOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toProtoLogprobs(logprobs: TokenLogprobs): ProtoTokenLogprobs {
  return {
    logprob: logprobs.logprob,
    bytes: bytesOf(logprobs.bytes),
    top: logprobs.top.map((alt) => ({
      id: alt.id,
      logprob: alt.logprob,
      bytes: bytesOf(alt.bytes),
    })),
  };
}

/** Logprobs and chat deltas only when the task asked for them. */
function toToken(event: TokenEvent, chat: ChatDelta[] = []): Token {
  const logprobs = event.logprobs && toProtoLogprobs(event.logprobs);
  return { t: event.text, i: event.index, id: event.id, logprobs, chat };
}

/** The hot path: one message for what one engine step produced (more when the caller lagged). */
export function toTokenBatchEvent(
  events: readonly TokenEvent[],
  chats?: ChatDelta[][],
): GenerateEvent {
  const tokens = events.map((event, k) => toToken(event, chats?.[k]));
  return { event: { $case: "tokens", value: { tokens } } };
}

/**
 * An engine end becomes the terminal `end`; an end with finish reason `error` becomes the terminal
 * `error` instead, because `End` has no room for the code the caller needs to act on.
 */
export function toEndEvent(
  event: EndEvent,
  context: { poolId?: string; chat?: ChatParse; chatDeltas?: ChatDelta[] } = {},
): GenerateEvent {
  if (event.finishReason === "error") {
    const code = event.error?.code;
    const error = new OrchError(
      isErrorCode(code) ? code : "INTERNAL",
      event.error?.message || "the engine failed this sequence without saying why",
    );
    return { event: { $case: "error", value: toErrorDetail(error, context) } };
  }
  const decodeMs = Math.round(event.decodeMs);
  const end = {
    tokensIn: event.tokensIn,
    tokensOut: event.tokensOut,
    decodeMs,
    decodeTimeMs: decodeMs,
    finishReason: protoFinishReasons[event.finishReason],
    cachedTokens: event.cachedTokens,
    ttftMs: Math.round(event.ttftMs),
    promptMs: Math.round(event.promptMs),
    chat: context.chat && toChatOutput(context.chat),
    chatDeltas: context.chatDeltas ?? [],
  };
  return { event: { $case: "end", value: end } };
}

/** An embedding task's inputs as the engine takes them: token ids when given, else the text. */
export function toEmbedInputs(request: GenerateRequest): (string | number[])[] {
  return request.embeddingInputs.map((i) => (i.tokens.length > 0 ? i.tokens : i.text));
}

/** An embedding task's answer: its vectors, then an `end` that counts its input tokens. */
export function toEmbeddingEvents(result: EmbedResult): GenerateEvent[] {
  const data = result.vectors.map((vector) => ({ values: Array.from(vector) }));
  const ms = Math.round(result.ms);
  const end = {
    tokensIn: result.tokens,
    tokensOut: 0,
    decodeMs: ms,
    decodeTimeMs: ms,
    finishReason: protoFinishReasons.stop,
    cachedTokens: 0,
    ttftMs: 0,
    promptMs: ms,
    chatDeltas: [],
  };
  return [
    { event: { $case: "embeddings", value: { data, promptTokens: result.tokens } } },
    { event: { $case: "end", value: end } },
  ];
}

function toChatOutput(parse: ChatParse): ChatOutput {
  return {
    content: parse.content,
    reasoningContent: parse.reasoningContent,
    toolCalls: parse.toolCalls.map(({ id, name, arguments: args }) => ({
      id,
      name,
      arguments: args,
    })),
  };
}

/** Proto3 strings are "" when unset: the engine takes those as absent. */
export function toChatRenderRequest(request: ChatTemplateRequest): ChatRenderRequest {
  return {
    messages: request.messages.map((m) => ({
      role: m.role,
      content: m.content,
      toolCalls: m.toolCalls.map(({ id, name, arguments: args }) => ({
        id,
        name,
        arguments: args,
      })),
      toolCallId: m.toolCallId,
      name: m.name,
    })),
    tools: request.tools.map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.parametersJson,
    })),
    toolChoice: request.toolChoice,
    parallelToolCalls: request.parallelToolCalls,
    jsonSchema: request.jsonSchema,
    addAssistant: request.addAssistant,
  };
}

export function toChatTemplateResponse(render: ChatRender): ChatTemplateResponse {
  return {
    prompt: render.prompt,
    grammar: render.grammar,
    chatFormat: {
      grammarLazy: render.grammarLazy,
      grammarTriggers: render.grammarTriggers,
      parser: render.parser,
      grammarPrefill: render.grammarPrefill,
      // The gateway asks for deltas per task, when it streams tool calls.
      streamDeltas: false,
    },
    stops: render.stops,
  };
}
