// Task events (proto TaskEvent) as the SSE frames of contracts/openapi/data.yaml: the native stream's one translation.
import type { OrchError } from "../common/errors.js";
import { sseFinishReasons } from "../common/finish-reasons.js";
import type { End, ErrorDetail } from "../gen/llama_orch/v1/common.js";
import type { Started, TaskEvent, TaskMetrics } from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/data.js";
import { toTokenLogprob } from "./openai-logprobs.js";

type Schemas = components["schemas"];

function frame(name: string, data: object): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function startedData(started: Started): Schemas["SSEStarted"] {
  const data: Schemas["SSEStarted"] = {
    queue_position: started.queuePosition,
    predicted_start_ms: started.predictedStartMs,
    pool_id: started.poolId,
  };
  if (started.engineVersion) data.engine_version = started.engineVersion;
  if (started.modelDigest) data.model_digest = started.modelDigest;
  return data;
}

function metricsData(metrics: TaskMetrics, verbose: boolean): Schemas["SSEMetrics"] {
  const data: Schemas["SSEMetrics"] = {
    queue_depth: metrics.queueDepth,
    on_time_probability: metrics.onTimeProbability,
    kv_warmth: metrics.kvWarmth,
  };
  const budgets = metrics.budgets;
  if (budgets?.tokens !== undefined) data.tokens_budget_remaining = budgets.tokens;
  if (budgets?.timeMs !== undefined) data.time_budget_remaining_ms = budgets.timeMs;
  if (budgets?.cost !== undefined) data.cost_budget_remaining = budgets.cost;
  if (verbose) {
    const percent = Math.round(metrics.onTimeProbability * 100);
    data.human = `${metrics.queueDepth} queued on the pool; ${percent}% likely on time`;
  }
  return data;
}

function endData(end: End): Schemas["SSEEnd"] {
  return {
    tokens_in: end.tokensIn,
    tokens_out: end.tokensOut,
    decode_ms: end.decodeMs,
    decode_time_ms: end.decodeTimeMs,
    finish_reason: sseFinishReasons[end.finishReason],
    tokens_cached: end.cachedTokens,
  };
}

function errorData(detail: ErrorDetail): Schemas["SSEError"] {
  const data: Schemas["SSEError"] = {
    code: detail.code as Schemas["ErrorKind"],
    message: detail.message,
    retriable: detail.retriable,
    engine: "llamacpp",
  };
  if (detail.retryAfterMs !== undefined) data.retry_after_ms = detail.retryAfterMs;
  if (detail.poolId) data.pool_id = detail.poolId;
  return data;
}

/**
 * The SSE frame of a task event; undefined for `admitted`, which the 202 already carried.
 * Tokens, the hot path, are written without building an intermediate object.
 */
export function sseFrame(event: TaskEvent, verbose: boolean): string | undefined {
  const e = event.event;
  if (e?.$case === "token" && !e.value.logprobs)
    return `event: token\ndata: {"t":${JSON.stringify(e.value.t)},"i":${e.value.i}}\n\n`;
  const sse = sseEvent(event, verbose);
  return sse && frame(sse.name, sse.data);
}

/** A task event as the SSE stream names it and its fields; undefined for `admitted`. */
export function sseEvent(
  event: TaskEvent,
  verbose: boolean,
): { name: string; data: object } | undefined {
  const e = event.event;
  switch (e?.$case) {
    case "token": {
      const { t, i, logprobs } = e.value;
      return {
        name: "token",
        data: logprobs ? { t, i, logprobs: toTokenLogprob(logprobs) } : { t, i },
      };
    }
    case "started":
      return { name: "started", data: startedData(e.value) };
    case "metrics":
      return { name: "metrics", data: metricsData(e.value, verbose) };
    case "end":
      return { name: "end", data: endData(e.value) };
    case "error":
      return { name: "error", data: errorData(e.value) };
    default:
      return undefined;
  }
}

/** The terminal `error` frame for a stream that failed outside the task (control plane gone). */
export function sseErrorFrame(error: OrchError): string {
  const detail: ErrorDetail = {
    code: error.code,
    message: error.message,
    retriable: error.retriable,
    retryAfterMs: error.retryAfterMs,
    engine: "llamacpp",
    poolId: "",
    policyLabel: "",
  };
  return frame("error", errorData(detail));
}

export function isTerminal(event: TaskEvent): boolean {
  const kind = event.event?.$case;
  return kind === "end" || kind === "error";
}
