// Live ETAs of a pool's queue: each queued task's predicted start from the real work ahead of it.
import { deliveredTokensPerSecond, predictStartFromQueue, queueStartsMs } from "./eta.js";
import type { TaskEntry } from "./task-hub.js";
import type { PoolSnapshot, ValidTask } from "./types.js";

/** The tokens a task is expected to generate: its own estimate, else its max_tokens. */
export function expectedTokens(task: Pick<ValidTask, "expectedTokens" | "maxTokens">): number {
  return task.expectedTokens ?? task.maxTokens;
}

/** Tokens each running task still has to generate, from what its clients have already received. */
export function tokensLeft(running: readonly TaskEntry[]): number[] {
  return running.map((entry) => Math.max(0, expectedTokens(entry.task) - entry.tokensOut));
}

/**
 * The pool as the ETA sees it: before any task finished here, the rate running tasks are being
 * delivered at stands in for the observed one (the engine's step rate leaves out sampling, IPC and
 * host load, and can be many times what clients get).
 */
function withLiveRate(
  pool: PoolSnapshot,
  running: readonly TaskEntry[],
  nowMs: number,
): PoolSnapshot {
  if (pool.observedTokensPerSecond !== undefined) return pool;
  const rates = running
    .map((e) => deliveredTokensPerSecond(e.tokensOut, e.firstTokenMs, nowMs))
    .filter((r): r is number => r !== undefined);
  if (rates.length === 0) return pool;
  return { ...pool, observedTokensPerSecond: rates.reduce((a, b) => a + b, 0) / rates.length };
}

/**
 * Predicted ms to start for a task at `position` in dispatch order, behind `queued` (the pool's
 * queue in dispatch order, the task itself excluded or at `position`) and the `running` tasks.
 */
export function predictedStart(
  pool: PoolSnapshot,
  queued: readonly TaskEntry[],
  running: readonly TaskEntry[],
  position: number,
): number {
  return predictStartFromQueue({
    ...withLiveRate(pool, running, Date.now()),
    runningTokensLeft: tokensLeft(running),
    aheadTokens: queued.slice(0, position).map((entry) => expectedTokens(entry.task)),
  });
}

/** Every queued task's predicted start, in dispatch order: one walk of the queue. */
export function queueEtas(
  pool: PoolSnapshot,
  queued: readonly TaskEntry[],
  running: readonly TaskEntry[],
): number[] {
  const starts = queueStartsMs({
    ...withLiveRate(pool, running, Date.now()),
    runningTokensLeft: tokensLeft(running),
    aheadTokens: queued.map((entry) => expectedTokens(entry.task)),
  });
  return starts.slice(0, queued.length);
}
