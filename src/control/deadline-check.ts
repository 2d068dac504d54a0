// Deadline admission: the requested deadline_ms, and whether the predicted end can meet it.
import { OrchError } from "../common/errors.js";
import { invalid } from "./field-checks.js";
import type { TaskInput, ValidTask } from "./types.js";

export function deadlineOf(input: TaskInput, defaultMs: number): number {
  if (input.deadlineMs === undefined) return defaultMs;
  if (!Number.isInteger(input.deadlineMs)) {
    throw invalid(`deadline_ms must be an integer number of ms; got ${input.deadlineMs}`);
  }
  if (input.deadlineMs <= 0) {
    throw new OrchError(
      "DEADLINE_UNMET",
      `deadline_ms ${input.deadlineMs} has already passed; give a positive number of ms`,
    );
  }
  return input.deadlineMs;
}

/** Predicted wait for a slot and predicted decode time of one task, in ms (see eta.ts). */
export interface EtaMs {
  startMs: number;
  decodeMs: number;
}

/**
 * DEADLINE_UNMET when the predicted start plus predicted decode exceeds the task's deadline.
 * A task whose deadline is only the configured default is never refused: its client set none.
 */
export function checkDeadline(
  task: Pick<ValidTask, "deadlineMs" | "deadlineFromRequest">,
  eta: EtaMs,
): void {
  if (!task.deadlineFromRequest) return;
  const endMs = eta.startMs + eta.decodeMs;
  if (endMs <= task.deadlineMs) return;
  throw new OrchError(
    "DEADLINE_UNMET",
    `deadline_ms ${task.deadlineMs} cannot be met: predicted start in ${eta.startMs} ms plus ` +
      `decode of ${eta.decodeMs} ms ends at ${endMs} ms; raise deadline_ms, lower max_tokens ` +
      "(or set expected_tokens), or retry when the queue is shorter",
  );
}
