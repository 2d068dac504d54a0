// The one translation between the engine's TS shapes and the addon's native shapes.
import type {
  NativeEvent,
  NativeLoadOptions,
  NativeModelInfo,
  NativeStats,
} from "./native-addon.js";
import type { EngineEvent, EngineOptions, EngineStats, ModelInfo, SubmitRequest } from "./types.js";

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
    strict: request.strict,
    sessionKey: request.sessionKey,
    cacheTenant: request.cacheTenant,
    ignoreEos: request.ignoreEos,
  };
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
    return { type: "token", id: event.id, text: event.text, index: event.index };
  }
  const { seq: _seq, errorCode, errorMessage, ...end } = event;
  return errorCode ? { ...end, error: { code: errorCode, message: errorMessage ?? "" } } : end;
}
