// Placement's ordering: the tie-break keys between feasible pools, most significant first.

import type { PlacementJob, TieBreaker } from "./placement-types.js";
import { compareLoad, hasIdleSlot } from "./pool-load.js";
import type { PoolSnapshot } from "./types.js";

const isWarm = (pool: PoolSnapshot, job: PlacementJob) => pool.warmSessions.includes(job.sessionId);

// VRAM left after this task's KV; a pool already holding the session's KV needs none. CPU pools
// report no VRAM and rank after any GPU pool on this key.
function residualVram(pool: PoolSnapshot, job: PlacementJob): number | undefined {
  if (pool.vramFreeBytes === undefined) return undefined;
  return pool.vramFreeBytes - (isWarm(pool, job) ? 0 : (job.estKvBytes ?? 0));
}

function compareOptional(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) {
    return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  }
  return Math.sign(b - a);
}

type Compare = (a: PoolSnapshot, b: PoolSnapshot, job: PlacementJob) => number;

// More expected cache wins against load only while it can be used at once: the pool holding more
// of the prompt wins if it is no more loaded than the other or still has an idle slot; otherwise
// waiting there would cost more than the prefill it saves, and load decides.
const comparePrefix: Compare = (a, b, job) => {
  const cached = (pool: PoolSnapshot) => job.expectedCachedTokens?.[pool.poolId] ?? 0;
  const diff = cached(b) - cached(a);
  if (diff === 0) return 0;
  const [more, less] = diff < 0 ? [a, b] : [b, a];
  const usable = compareLoad(more, less) <= 0 || hasIdleSlot(more);
  return usable ? Math.sign(diff) : 0;
};

// Code-unit order, not localeCompare: the same on every machine and locale.
export const byPoolId = (a: PoolSnapshot, b: PoolSnapshot) =>
  a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0;

// Each returns < 0 when `a` is the better pool.
const ORDER: readonly (readonly [TieBreaker, Compare])[] = [
  ["session_affinity", (a, b, job) => Number(isWarm(b, job)) - Number(isWarm(a, job))],
  ["prefix_cache", comparePrefix],
  ["least_loaded", compareLoad],
  ["most_free_vram", (a, b, job) => compareOptional(residualVram(a, job), residualVram(b, job))],
  ["fastest_decode", (a, b) => Math.sign(b.decodeTokensPerSecond - a.decodeTokensPerSecond)],
  ["pool_id", byPoolId],
];

export function compare(a: PoolSnapshot, b: PoolSnapshot, job: PlacementJob): number {
  for (const [, cmp] of ORDER) {
    const c = cmp(a, b, job);
    if (c !== 0) return c;
  }
  return 0;
}

export function decidingKeys(
  best: PoolSnapshot,
  next: PoolSnapshot | undefined,
  job: PlacementJob,
) {
  const keys: TieBreaker[] = [];
  if (!next) return keys;
  for (const [name, cmp] of ORDER) {
    keys.push(name);
    if (cmp(best, next, job) !== 0) break;
  }
  return keys;
}
