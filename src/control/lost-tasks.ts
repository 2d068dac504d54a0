// Tasks a killed or crashed control plane left unfinished: on start their records end with a
// retriable WORKER_RESET, and Attach answers them with that terminal error instead of a 404.

import { isErrorCode, OrchError } from "../common/errors.js";
import { toErrorDetail } from "../common/grpc-errors.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { TaskRecord, TaskStore } from "../store/task-store.js";

const UNFINISHED = new Set<TaskRecord["state"]>(["QUEUED", "RUNNING"]);

/** Ends every record still queued or running; returns how many there were. */
export async function endLostTasks(tasks: TaskStore, nowMs: number): Promise<number> {
  let lost = 0;
  for (const record of await tasks.list()) {
    if (!UNFINISHED.has(record.state)) continue;
    const was = record.state.toLowerCase();
    const message = `the task was ${was} when the control plane stopped without finishing it; resubmit it`;
    await tasks.put({
      ...record,
      state: "FINISHED_ERROR",
      endedMs: nowMs,
      error: { code: "WORKER_RESET", message },
    });
    lost += 1;
  }
  return lost;
}

/** The terminal event of an ended task no longer live, from its record: its error, if it had one. */
export function recordedErrorEvent(record: TaskRecord): TaskEvent | undefined {
  if (!record.error) return undefined;
  const { code, message } = record.error;
  const error = new OrchError(isErrorCode(code) ? code : "INTERNAL", message);
  return { event: { $case: "error", value: toErrorDetail(error, { poolId: record.poolId }) } };
}
