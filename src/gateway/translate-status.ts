// The one translation of the status snapshot from proto (status.proto) to its HTTP DTO
// (control.yaml StatusSnapshot, snake_case JSON), shared by GET /v1/status, /v1/events and the CLI.
import type { GpuDevice } from "../gen/llama_orch/v1/common.js";
import { Priority } from "../gen/llama_orch/v1/common.js";
import { TaskState } from "../gen/llama_orch/v1/orchestrator.js";
import type { PoolStatus, StatusSnapshot, TaskStatus } from "../gen/llama_orch/v1/status.js";
import type { components } from "../gen/openapi/control.js";
import { toSessionBody } from "./translate-tasks.js";

type Schemas = components["schemas"];
export type StatusSnapshotDto = Schemas["StatusSnapshot"];
export type PoolStatusDto = Schemas["PoolStatus"];
export type TaskStatusDto = Schemas["TaskStatus"];
export type GpuStatusDto = Schemas["GpuStatus"];

const STATES: Record<number, TaskStatusDto["state"]> = {
  [TaskState.TASK_STATE_QUEUED]: "queued",
  [TaskState.TASK_STATE_RUNNING]: "running",
  [TaskState.TASK_STATE_FINISHED_STOP]: "finished_stop",
  [TaskState.TASK_STATE_FINISHED_LENGTH]: "finished_length",
  [TaskState.TASK_STATE_FINISHED_CANCELLED]: "cancelled",
  [TaskState.TASK_STATE_FINISHED_ERROR]: "error",
};

function toGpuDto(d: GpuDevice): GpuStatusDto {
  return {
    index: d.index,
    uuid: d.uuid,
    name: d.name,
    memory_total_bytes: d.memoryTotalBytes,
    memory_used_bytes: d.memoryUsedBytes,
    utilization_percent: d.utilizationGpuPercent,
    temperature_c: d.temperatureC,
    power_watts: d.powerWatts,
  };
}

function toPoolDto(p: PoolStatus): PoolStatusDto {
  return {
    pool_id: p.poolId,
    state: p.state as PoolStatusDto["state"],
    model_ref: p.modelRef,
    backend: p.backend,
    last_error: p.lastError,
    slots_total: p.slotsTotal,
    slots_busy: p.slotsBusy,
    kv_cells_used: p.kvCellsUsed,
    kv_cells_total: p.kvCellsTotal,
    decode_tokens_per_second: p.decodeTokensPerSecond,
    expected_tokens_per_second: p.expectedTokensPerSecond,
    prefix_cache_hit_ratio: p.prefixCacheHitRatio,
    queue_depth: p.queueDepth,
    restarts: p.restarts,
    gpu_reason: p.gpuReason,
    gpus: p.devices.map(toGpuDto),
  };
}

function toTaskDto(t: TaskStatus): TaskStatusDto {
  const queued = t.state === TaskState.TASK_STATE_QUEUED;
  return {
    task_id: t.taskId,
    pool_id: t.poolId,
    session_id: t.sessionId,
    model_ref: t.modelRef,
    priority: t.priority === Priority.PRIORITY_BATCH ? "batch" : "interactive",
    state: STATES[t.state] ?? "queued",
    ...(queued ? { queue_position: t.queuePosition, predicted_start_ms: t.predictedStartMs } : {}),
    queued_ms: t.queuedMs,
    placed_ms: t.placedMs,
    first_token_ms: t.firstTokenMs,
    ended_ms: t.endedMs,
    tokens_out: t.tokensOut,
    max_tokens: t.maxTokens,
    tokens_per_second: t.tokensPerSecond,
    error_code: t.errorCode,
  };
}

export function toStatusDto(s: StatusSnapshot): StatusSnapshotDto {
  return {
    now_ms: s.nowMs,
    version: s.version,
    pools: s.pools.map(toPoolDto),
    tasks: s.tasks.map(toTaskDto),
    sessions: s.sessions.map(toSessionBody),
  };
}
