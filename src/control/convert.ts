// The one translation between the control plane's domain types and the gRPC messages.
import { errorCodes, isErrorCode } from "../common/errors.js";
import { knobValues } from "../common/sampling-bounds.js";
import {
  Determinism,
  Priority,
  type EmbeddingInput as ProtoEmbeddingInput,
} from "../gen/llama_orch/v1/common.js";
import {
  type Admission,
  type SessionInfo,
  type TaskRecord,
  type TaskRequest,
  TaskState,
} from "../gen/llama_orch/v1/orchestrator.js";
import type { GenerateRequest } from "../gen/llama_orch/v1/worker.js";
import type { TaskRecord as StoredTask } from "../store/task-store.js";
import type { SessionView } from "./sessions-policy.js";
import type { BudgetLimits, EmbeddingInput, TaskInput, ValidTask } from "./types.js";

const nonEmpty = (value: string): string | undefined => (value === "" ? undefined : value);

const priorityNames: Partial<Record<Priority, string>> = {
  [Priority.PRIORITY_INTERACTIVE]: "interactive",
  [Priority.PRIORITY_BATCH]: "batch",
};
const determinismNames: Partial<Record<Determinism, string>> = {
  [Determinism.DETERMINISM_BEST_EFFORT]: "best_effort",
  [Determinism.DETERMINISM_STRICT]: "strict",
};

function enumName<E extends number>(
  value: E,
  names: Partial<Record<E, string>>,
): string | undefined {
  if (value === 0) return undefined;
  return names[value] ?? `unknown(${value})`;
}

/** A TaskRequest as admission takes it: proto3 empty values become "absent". */
export function toTaskInput(request: TaskRequest): TaskInput {
  const p = request.placement;
  const s = request.sampling;
  return {
    taskId: nonEmpty(request.taskId),
    sessionId: nonEmpty(request.sessionId),
    workload: nonEmpty(request.workload),
    modelRef: nonEmpty(request.modelRef),
    engine: nonEmpty(request.engine),
    ctx: request.ctx,
    priority: enumName(request.priority, priorityNames),
    seed: request.seed ?? s?.seed,
    determinism: enumName(request.determinism, determinismNames),
    prompt: request.prompt,
    maxTokens: request.maxTokens,
    deadlineMs: request.deadlineMs,
    expectedTokens: request.expectedTokens,
    placement: p && {
      mode: nonEmpty(p.mode),
      pinPoolId: nonEmpty(p.pinPoolId),
      preferPools: p.preferPools,
      avoidPools: p.avoidPools,
      requireDeviceMask: nonEmpty(p.requireDeviceMask),
      allowFallback: p.allowFallback,
    },
    sampling: s && { ...knobValues(s), logitBias: s.logitBias?.entries },
    stop: request.stop,
    grammar: nonEmpty(request.grammar),
    jsonSchema: nonEmpty(request.jsonSchema),
    chatFormat: request.chatFormat?.parser ? request.chatFormat : undefined,
    chat: request.chat && {
      template: request.chat,
      streamDeltas: request.chatFormat?.streamDeltas ?? false,
    },
    ignoreEos: request.ignoreEos,
    cacheSalt: nonEmpty(request.cacheSalt),
    budgets: request.budgets && {
      tokens: request.budgets.tokens,
      timeMs: request.budgets.timeMs,
      cost: request.budgets.cost,
    },
    embeddingInputs: request.embeddingInputs.map((i) => (i.tokens.length > 0 ? i.tokens : i.text)),
    embeddingDimensions: request.embeddingDimensions,
  };
}

/** The proto shape of embedding inputs: text, or token ids (never both). */
export function toEmbeddingInputs(inputs: readonly EmbeddingInput[]): ProtoEmbeddingInput[] {
  return inputs.map((i) =>
    typeof i === "string" ? { text: i, tokens: [] } : { text: "", tokens: [...i] },
  );
}

/** What the worker runs; the session key only when the client named its session. */
/** `promptTokens`: a chat task's prompt, tokenized once by PreparePrompt; empty: `prompt` as text. */
export function toGenerateRequest(
  task: ValidTask,
  sessionKey: string | undefined,
  promptTokens: readonly number[] = [],
): GenerateRequest {
  return {
    taskId: task.taskId,
    prompt: task.prompt,
    maxTokens: task.maxTokens,
    sampling: {
      ...task.sampling,
      seed: task.seed,
      logitBias: task.sampling.logitBias && { entries: task.sampling.logitBias },
    },
    stop: task.stop,
    grammar: task.grammar ?? "",
    jsonSchema: task.jsonSchema ?? "",
    strict: task.determinism === "strict",
    sessionKey: sessionKey ?? "",
    ignoreEos: task.ignoreEos,
    chatFormat: task.chatFormat,
    cacheTenant: task.cacheSalt,
    embeddingInputs: toEmbeddingInputs(task.embeddingInputs ?? []),
    promptTokens: [...promptTokens],
  };
}

export function toBudgetsRemaining(left: BudgetLimits): Admission["budgets"] {
  return { tokens: left.tokens, timeMs: left.timeMs, cost: left.cost };
}

export function toSessionInfo(view: SessionView): SessionInfo {
  return {
    sessionId: view.sessionId,
    ttlMsRemaining: view.ttlMsRemaining,
    turns: view.turns,
    maxTurns: view.maxTurns,
    kvBytes: view.kvBytes,
    kvWarmth: view.kvWarmth,
    tokensBudgetRemaining: view.tokensBudgetRemaining,
    timeBudgetRemainingMs: view.timeBudgetRemainingMs,
    costBudgetRemaining: view.costBudgetRemaining,
    poolId: view.poolId ?? "",
  };
}

const stateNames: Record<TaskState, StoredTask["state"] | undefined> = {
  [TaskState.TASK_STATE_UNSPECIFIED]: undefined,
  [TaskState.TASK_STATE_QUEUED]: "QUEUED",
  [TaskState.TASK_STATE_RUNNING]: "RUNNING",
  [TaskState.TASK_STATE_FINISHED_STOP]: "FINISHED_STOP",
  [TaskState.TASK_STATE_FINISHED_LENGTH]: "FINISHED_LENGTH",
  [TaskState.TASK_STATE_FINISHED_CANCELLED]: "FINISHED_CANCELLED",
  [TaskState.TASK_STATE_FINISHED_ERROR]: "FINISHED_ERROR",
  [TaskState.UNRECOGNIZED]: undefined,
};

export function toStoredState(state: TaskState): StoredTask["state"] {
  return stateNames[state] ?? "QUEUED";
}

export function toTaskRecord(record: StoredTask): TaskRecord {
  const state = Number(
    Object.entries(stateNames).find(([, name]) => name === record.state)?.[0] ?? 0,
  ) as TaskState;
  return {
    taskId: record.taskId,
    sessionId: record.sessionId,
    state,
    poolId: record.poolId ?? "",
    modelRef: record.modelRef,
    priority: record.priority === "batch" ? Priority.PRIORITY_BATCH : Priority.PRIORITY_INTERACTIVE,
    seed: record.seed,
    tokensIn: record.tokensIn,
    tokensOut: record.tokensOut,
    decodeTimeMs: record.decodeTimeMs,
    error: record.error && {
      code: record.error.code,
      message: record.error.message,
      retriable: isErrorCode(record.error.code) && errorCodes[record.error.code].retriable,
      engine: "llamacpp",
      poolId: record.poolId ?? "",
      policyLabel: "",
    },
    createdMs: record.createdMs,
    endedMs: record.endedMs ?? 0,
    engineVersion: record.engineVersion ?? "",
    modelDigest: record.modelDigest ?? "",
    transcriptArtifactId: record.transcriptArtifactId ?? "",
  };
}
