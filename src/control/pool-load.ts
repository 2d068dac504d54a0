// A pool's load as placement counts it, for every engine alike, and as the decision log shows it.
import type { PoolSnapshot } from "./types.js";

/** The figures behind loadOf, as logged per feasible pool. */
export interface PoolLoad {
  leases: number;
  engine_busy?: number;
  queued: number;
  slots: number;
}

/**
 * Busy sequences are our leases or what the engine reports running + waiting, whichever is more:
 * an external engine serving other clients is as loaded as it says, while its report (a heartbeat
 * old) never undercounts the leases just granted. Native pools carry no report (PoolRegistry):
 * their leases are exact.
 */
export function loadOf(pool: PoolSnapshot): number {
  return Math.max(pool.activeLeases, pool.engineBusy ?? 0) + pool.queueDepth;
}

/**
 * loadOf / slots, compared by cross-multiplication so that it never goes through floating point;
 * < 0 when `a` is the less loaded.
 */
export function compareLoad(a: PoolSnapshot, b: PoolSnapshot): number {
  return Math.sign(loadOf(a) * Math.max(1, b.slotsTotal) - loadOf(b) * Math.max(1, a.slotsTotal));
}

export function hasIdleSlot(pool: PoolSnapshot): boolean {
  return loadOf(pool) < pool.slotsTotal;
}

export function loadsOf(pools: readonly PoolSnapshot[]): Record<string, PoolLoad> {
  const loads: Record<string, PoolLoad> = {};
  for (const pool of pools) {
    const { activeLeases: leases, engineBusy, queueDepth: queued, slotsTotal: slots } = pool;
    loads[pool.poolId] = { leases, engine_busy: engineBusy, queued, slots };
  }
  return loads;
}
