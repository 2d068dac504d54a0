// The data plane's one translation between HTTP DTOs (contracts/openapi/data.yaml) and proto.

import type { OrchError } from "../common/errors.js";
import { sseFinishReasons } from "../common/finish-reasons.js";
import {
  Determinism,
  type End,
  type ErrorDetail,
  Priority,
  type Sampling,
} from "../gen/llama_orch/v1/common.js";
import {
  type Admission,
  type BudgetsRemaining,
  type SessionInfo,
  type Started,
  type TaskEvent,
  type TaskMetrics,
  type TaskRecord,
  TaskRequest,
  TaskState,
} from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/data.js";
import { cacheTenant } from "./cache-tenant.js";
import { jsonSchemaOf } from "./chat-request.js";
import { toTokenLogprob } from "./openai-logprobs.js";
import { toResponseFormat } from "./translate-openai-request.js";

type Schemas = components["schemas"];
export type TaskRequestBody = Schemas["TaskRequest"];
export type AdmissionBody = Schemas["AdmissionResponse"];
export type SessionBody = Schemas["SessionInfo"];
export type TaskRecordBody = Schemas["TaskRecord"];

const PRIORITIES: Record<NonNullable<TaskRequestBody["priority"]>, Priority> = {
  interactive: Priority.PRIORITY_INTERACTIVE,
  batch: Priority.PRIORITY_BATCH,
};

const DETERMINISMS: Record<NonNullable<TaskRequestBody["determinism"]>, Determinism> = {
  strict: Determinism.DETERMINISM_STRICT,
  best_effort: Determinism.DETERMINISM_BEST_EFFORT,
};

/**
 * A validated body as the proto TaskRequest. `output_mode` is a hint the engine ignores, and
 * `inputs` (embedding/rerank) has no proto field yet: neither is carried.
 */
export function toTaskRequest(body: TaskRequestBody, identity: string): TaskRequest {
  const placement = body.placement;
  return TaskRequest.fromPartial({
    taskId: body.task_id ?? "",
    sessionId: body.session_id ?? "",
    workload: body.workload ?? "",
    modelRef: body.model_ref,
    engine: body.engine ?? "",
    ctx: body.ctx,
    priority: body.priority ? PRIORITIES[body.priority] : Priority.PRIORITY_UNSPECIFIED,
    seed: body.seed,
    determinism: body.determinism
      ? DETERMINISMS[body.determinism]
      : Determinism.DETERMINISM_UNSPECIFIED,
    samplerProfileVersion: body.sampler_profile_version ?? "",
    prompt: body.prompt ?? "",
    maxTokens: body.max_tokens,
    deadlineMs: body.deadline_ms,
    expectedTokens: body.expected_tokens,
    kvHint: body.kv_hint ?? "",
    stop: body.stop ?? [],
    sampling: body.sampling && toSampling(body.sampling),
    grammar: body.grammar ?? "",
    jsonSchema: jsonSchemaOf(toResponseFormat(body.response_format)),
    ignoreEos: body.ignore_eos ?? false,
    cacheSalt: cacheTenant(identity, body.cache_salt),
    placement: placement && {
      mode: placement.mode ?? "",
      pinPoolId: placement.pin_pool_id ?? "",
      preferPools: placement.prefer_pools ?? [],
      avoidPools: placement.avoid_pools ?? [],
      requireDeviceMask: placement.require_device_mask ?? "",
      allowFallback: placement.allow_fallback,
    },
  });
}

function toSampling(sampling: Schemas["Sampling"]): Sampling {
  return {
    temperature: sampling.temperature,
    topK: sampling.top_k,
    topP: sampling.top_p,
    minP: sampling.min_p,
    repeatPenalty: sampling.repeat_penalty,
    repeatLastN: sampling.repeat_last_n,
    seed: sampling.seed,
    logprobs: sampling.logprobs,
  };
}

const TASK_STATES: Record<TaskState, TaskRecordBody["state"]> = {
  [TaskState.TASK_STATE_UNSPECIFIED]: "queued",
  [TaskState.TASK_STATE_QUEUED]: "queued",
  [TaskState.TASK_STATE_PLACED]: "placed",
  [TaskState.TASK_STATE_RUNNING]: "running",
  [TaskState.TASK_STATE_FINISHED_STOP]: "finished_stop",
  [TaskState.TASK_STATE_FINISHED_LENGTH]: "finished_length",
  [TaskState.TASK_STATE_FINISHED_CANCELLED]: "finished_cancelled",
  [TaskState.TASK_STATE_FINISHED_ERROR]: "finished_error",
  [TaskState.UNRECOGNIZED]: "queued",
};

/** GET /v1/tasks/{id}: the record with empty proto strings and zero times left out. */
export function toTaskRecordBody(record: TaskRecord): TaskRecordBody {
  const body: TaskRecordBody = {
    task_id: record.taskId,
    session_id: record.sessionId,
    state: TASK_STATES[record.state],
    model_ref: record.modelRef,
    priority: record.priority === Priority.PRIORITY_BATCH ? "batch" : "interactive",
    seed: record.seed,
    tokens_in: record.tokensIn,
    tokens_out: record.tokensOut,
    decode_time_ms: record.decodeTimeMs,
    created_ms: record.createdMs,
  };
  if (record.poolId) body.pool_id = record.poolId;
  if (record.endedMs) body.ended_ms = record.endedMs;
  if (record.engineVersion) body.engine_version = record.engineVersion;
  if (record.modelDigest) body.model_digest = record.modelDigest;
  if (record.transcriptArtifactId) body.transcript_artifact_id = record.transcriptArtifactId;
  if (record.error?.code) {
    body.error = { code: record.error.code as Schemas["ErrorKind"], message: record.error.message };
  }
  return body;
}

/** The path of a task's SSE stream. */
export function streamPath(taskId: string): string {
  return `/v1/tasks/${taskId}/stream`;
}

export function toAdmissionBody(admission: Admission): AdmissionBody {
  const sse = streamPath(admission.taskId);
  const body: AdmissionBody = {
    task_id: admission.taskId,
    queue_position: admission.queuePosition,
    predicted_start_ms: admission.predictedStartMs,
    backoff_ms: admission.backoffMs,
    streams: { sse, sse_verbose: `${sse}?verbose=true` },
  };
  if (admission.sessionId) body.session_id = admission.sessionId;
  if (admission.poolId) body.pool_id = admission.poolId;
  return body;
}

/** X-Budget-* headers for the budgets the session has; none when it has none. */
export function budgetHeaders(budgets: BudgetsRemaining | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (budgets?.tokens !== undefined) headers["X-Budget-Tokens-Remaining"] = String(budgets.tokens);
  if (budgets?.timeMs !== undefined) headers["X-Budget-Time-Remaining-Ms"] = String(budgets.timeMs);
  if (budgets?.cost !== undefined) headers["X-Budget-Cost-Remaining"] = String(budgets.cost);
  return headers;
}

export function toSessionBody(info: SessionInfo): SessionBody {
  const body: SessionBody = {
    session_id: info.sessionId,
    ttl_ms_remaining: info.ttlMsRemaining,
    turns: info.turns,
    max_turns: info.maxTurns,
    kv_bytes: info.kvBytes,
    kv_warmth: info.kvWarmth,
  };
  if (info.poolId) body.pool_id = info.poolId;
  if (info.tokensBudgetRemaining !== undefined)
    body.tokens_budget_remaining = info.tokensBudgetRemaining;
  if (info.timeBudgetRemainingMs !== undefined)
    body.time_budget_remaining_ms = info.timeBudgetRemainingMs;
  if (info.costBudgetRemaining !== undefined) body.cost_budget_remaining = info.costBudgetRemaining;
  return body;
}

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
