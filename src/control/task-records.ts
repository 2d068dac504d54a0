// A task's record (state, counts, error, versions), as the task store keeps it.
import type { TaskRecord, TaskStore } from "../store/task-store.js";
import { toStoredState } from "./convert.js";
import type { PoolRegistry } from "./pool-registry.js";
import type { TaskEntry } from "./task-hub.js";
import type { Outcome } from "./task-run.js";

export function saveTask(
  tasks: TaskStore,
  registry: PoolRegistry,
  entry: TaskEntry,
  outcome?: Outcome,
): Promise<void> {
  return tasks.put(taskRecordOf(registry, entry, outcome));
}

/** The record of a live task now, or as `outcome` ended it. */
export function taskRecordOf(
  registry: PoolRegistry,
  entry: TaskEntry,
  outcome?: Outcome,
): TaskRecord {
  const pool = registry.get(entry.poolId);
  const end = outcome?.kind === "end" ? outcome.end : undefined;
  const error =
    outcome?.kind === "error"
      ? { code: outcome.error.code, message: outcome.error.message }
      : undefined;
  return {
    taskId: entry.task.taskId,
    sessionId: entry.task.sessionId,
    state: toStoredState(entry.state),
    poolId: entry.poolId,
    modelRef: entry.task.modelRef,
    priority: entry.task.priority,
    seed: entry.task.seed,
    tokensIn: end?.tokensIn ?? entry.task.promptTokens,
    tokensOut: end?.tokensOut ?? 0,
    decodeTimeMs: end?.decodeTimeMs ?? 0,
    error,
    createdMs: entry.createdMs,
    endedMs: entry.endedMs,
    engineVersion: pool?.description?.engineVersion,
    modelDigest: pool?.description?.model?.digest,
    transcriptArtifactId: entry.transcriptArtifactId,
  };
}
