// The one translation between the worker's proto messages and the engine's TS shapes.
import { isErrorCode, OrchError } from "../common/errors.js";
import { protoFinishReasons } from "../common/finish-reasons.js";
import { toErrorDetail } from "../common/grpc-errors.js";
import { knobValues } from "../common/sampling-bounds.js";
import type { GpuDevice, GpuProbe } from "../engine/nvml.js";
import type {
  ChatDelta,
  ChatParse,
  ChatRender,
  ChatRenderRequest,
  EmbedResult,
  EndEvent,
  EngineStats,
  ModelInfo,
  Sampling,
  SubmitRequest,
  TokenEvent,
  TokenLogprobs,
} from "../engine/types.js";
import type {
  ChatOutput,
  ChatTemplateRequest,
  ChatTemplateResponse,
  GpuDevice as ProtoGpuDevice,
  ModelInfo as ProtoModelInfo,
  Sampling as ProtoSampling,
  TokenLogprobs as ProtoTokenLogprobs,
} from "../gen/llama_orch/v1/common.js";
import type {
  GenerateEvent,
  GenerateRequest,
  Telemetry,
  WorkerDescription,
} from "../gen/llama_orch/v1/worker.js";

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

/** The hot path: one message per generated token; logprobs and chat deltas only when asked. */
export function toTokenEvent(event: TokenEvent, chat: ChatDelta[] = []): GenerateEvent {
  const logprobs = event.logprobs && toProtoLogprobs(event.logprobs);
  const token = { t: event.text, i: event.index, id: event.id, logprobs, chat };
  return { event: { $case: "token", value: token } };
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

export function toModelInfo(info: ModelInfo, modelRef: string): ProtoModelInfo {
  return {
    modelRef,
    architecture: info.architecture,
    name: info.name,
    parameterCount: info.parameterCount,
    fileSizeBytes: info.fileSizeBytes,
    trainedContext: info.trainedContext,
    vocabSize: info.vocabSize,
    fileType: info.fileType,
    hasChatTemplate: info.hasChatTemplate,
    digest: info.digest,
    contextSize: info.contextSize,
    kvBytesPerToken: info.kvBytesPerToken,
    embeddingLength: info.embeddingLength,
    pooling: info.pooling,
  };
}

export interface DescriptionContext {
  workerId: string;
  poolId: string;
  modelRef: string;
  backend: string;
  engineVersion: string;
}

export function toWorkerDescription(
  info: ModelInfo,
  context: DescriptionContext,
): WorkerDescription {
  return {
    workerId: context.workerId,
    poolId: context.poolId,
    model: toModelInfo(info, context.modelRef),
    engine: "llamacpp",
    engineVersion: context.engineVersion,
    slots: info.slots,
    backend: context.backend,
    features: {},
  };
}

/** NVML leaves out what a device refused to report: absent numbers stay absent, names become "". */
export function toGpuDevice(device: GpuDevice): ProtoGpuDevice {
  return {
    index: device.index,
    uuid: device.uuid ?? "",
    name: device.name ?? "",
    memoryTotalBytes: device.memoryTotalBytes,
    memoryUsedBytes: device.memoryUsedBytes,
    memoryFreeBytes: device.memoryFreeBytes,
    utilizationGpuPercent: device.utilizationGpuPercent,
    utilizationMemoryPercent: device.utilizationMemoryPercent,
    temperatureC: device.temperatureC,
    powerWatts: device.powerWatts,
  };
}

export interface TelemetryContext {
  /** The pool's GPUs (NVML indexes); other GPUs on the host are not this worker's to report. */
  deviceIndexes?: readonly number[];
  warmSessions?: readonly string[];
}

export function toTelemetry(
  stats: EngineStats,
  probe: GpuProbe,
  context: TelemetryContext = {},
): Telemetry {
  const wanted = context.deviceIndexes;
  const devices =
    wanted === undefined || wanted.length === 0
      ? probe.devices
      : probe.devices.filter((device) => wanted.includes(device.index));
  return {
    slotsTotal: stats.slotsTotal,
    slotsBusy: stats.slotsBusy,
    pending: stats.pending,
    kvCellsUsed: stats.kvCellsUsed,
    kvCellsTotal: stats.kvCellsTotal,
    prefillTokensPerSecond: stats.prefillTokensPerSecond,
    decodeTokensPerSecond: stats.decodeTokensPerSecond,
    devices: devices.map(toGpuDevice),
    gpuReason: probe.reason ?? "",
    warmSessions: [...(context.warmSessions ?? [])],
    unreadyReason: "",
    kvCellsCached: stats.kvCellsCached,
    cacheEvictions: stats.cacheEvictions,
    cacheRamBytes: stats.cacheRamBytes,
  };
}
