// Placement: choose the pool for a task from pool snapshots, with every reason logged (DESIGN 5).

import { filterReason } from "./placement-filter.js";
import { byPoolId, compare, decidingKeys } from "./placement-order.js";
import { noCapacity, noPreferred, pinUnknown } from "./placement-refusal.js";
import type { DecisionLog, PlacementDecision, PlacementJob } from "./placement-types.js";
import { loadsOf } from "./pool-load.js";
import type { PlacementOverrides, PoolSnapshot } from "./types.js";

export { estimateKvBytes, type KvDims } from "./kv-estimate.js";
export { noCapacityError } from "./placement-refusal.js";
export type * from "./placement-types.js";

/**
 * Under `prefer`, only the feasible prefer_pools, if any; else every feasible pool when fallback
 * is allowed (logged), else undefined.
 */
function applyPreference(
  p: PlacementOverrides,
  feasible: PoolSnapshot[],
  log: DecisionLog,
): PoolSnapshot[] | undefined {
  if (p.mode !== "prefer" || p.preferPools.length === 0) return feasible;
  const preferred = feasible.filter((pool) => p.preferPools.includes(pool.poolId));
  if (preferred.length === 0) {
    if (!p.allowFallback) return undefined;
    log.fallbackUsed = feasible.length > 0;
    return feasible;
  }
  for (const pool of feasible.filter((f) => !preferred.includes(f))) {
    log.filtered.push({ poolId: pool.poolId, reason: "not_preferred", detail: "not preferred" });
  }
  return preferred;
}

/**
 * Picks a pool: filter (pin, avoid, model, ready, not draining, ctx, device mask), restrict to
 * prefer_pools when any is feasible, then order by session affinity, expected prefix cache (while
 * usable without waiting), least load, most VRAM left
 * after the KV estimate, fastest measured decode, pool id. Same inputs, same answer.
 */
export function decidePlacement(
  job: PlacementJob,
  pools: readonly PoolSnapshot[],
): PlacementDecision {
  const p = job.placement;
  const sorted = [...pools].sort(byPoolId);
  const log: DecisionLog = {
    candidates: sorted.map((pool) => pool.poolId),
    filtered: [],
    ranking: [],
    tieBreakers: [],
    pinned: p.mode === "pin",
    fallbackUsed: false,
    loads: {},
  };
  if (p.mode === "pin" && !log.candidates.includes(p.pinPoolId ?? "")) return pinUnknown(p, log);
  const feasible: PoolSnapshot[] = [];
  for (const pool of sorted) {
    const reason = filterReason(pool, job);
    if (reason) log.filtered.push(reason);
    else feasible.push(pool);
  }
  const chosen = applyPreference(p, feasible, log);
  if (chosen === undefined) return noPreferred(job, log);
  if (chosen.length === 0) {
    if (p.mode !== "pin") return noCapacity("no_feasible_pool", log.filtered, job, log);
    const pinned = log.filtered.filter((f) => f.poolId === p.pinPoolId);
    return noCapacity("pinned_pool_infeasible", pinned, job, log);
  }
  log.loads = loadsOf(chosen);
  const ranked = chosen.sort((a, b) => compare(a, b, job));
  const best = ranked[0] as PoolSnapshot;
  log.ranking = ranked.map((pool) => pool.poolId);
  log.tieBreakers = decidingKeys(best, ranked[1], job);
  log.selected = best.poolId;
  return { kind: "assigned", poolId: best.poolId, log };
}
