// What a full pool queue answers under each policy (DESIGN decision 3): `reject` refuses the new
// task, `drop-lru` ends the evicted one; both are retriable after the pool's predicted wait.
import { OrchError } from "../common/errors.js";
import { retryAfterMs } from "./eta.js";
import type { PoolSnapshot } from "./types.js";

/** The new task, refused by a full queue under policy `reject`. */
export function queueFullRejection(
  pool: PoolSnapshot,
  capacity: number,
  expectedTokens: number,
): OrchError {
  const retry = retryAfterMs(pool, expectedTokens);
  return new OrchError(
    "ADMISSION_REJECT",
    `the queue of pool ${pool.poolId} is full (${capacity} tasks, policy reject); retry after ${retry} ms`,
    { retryAfterMs: retry },
  );
}

/** The oldest batch task, ended to make room under policy `drop-lru`. */
export function queueFullEviction(pool: PoolSnapshot, maxTokens: number): OrchError {
  const retry = retryAfterMs(pool, maxTokens);
  return new OrchError(
    "QUEUE_FULL_DROP_LRU",
    `the queue of pool ${pool.poolId} was full (policy drop-lru) and this task was the oldest batch task; retry after ${retry} ms`,
    { retryAfterMs: retry },
  );
}
