// The data plane's one translation between HTTP DTOs (contracts/openapi/data.yaml) and proto, for
// requests, records, admissions and sessions; task events are in translate-task-events.ts.
import { Determinism, Priority, type Sampling } from "../gen/llama_orch/v1/common.js";
import {
  type Admission,
  type BudgetsRemaining,
  type SessionInfo,
  type TaskRecord,
  TaskRequest,
  TaskState,
} from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/data.js";
import { cacheTenant } from "./cache-tenant.js";
import { jsonSchemaOf } from "./chat-request.js";
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
