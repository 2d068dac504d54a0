// Pool snapshots and placement jobs for the placement tests, with the defaults they share.
import assert from "node:assert/strict";
import type { PlacementDecision, PlacementJob } from "../../src/control/placement.js";
import type { PlacementOverrides, PoolSnapshot } from "../../src/control/types.js";

export const GiB = 1024 ** 3;
export const SESSION = "11111111-1111-1111-1111-111111111111";

export function pool(poolId: string, over: Partial<PoolSnapshot> = {}): PoolSnapshot {
  return {
    poolId,
    ready: true,
    draining: false,
    modelRef: "m:7b",
    engine: "llamacpp",
    engineVersion: "b1",
    ctxMax: 4096,
    slotsTotal: 4,
    activeLeases: 0,
    queueDepth: 0,
    vramFreeBytes: 10 * GiB,
    vramTotalBytes: 12 * GiB,
    deviceMask: "0",
    decodeTokensPerSecond: 100,
    warmSessions: [],
    ...over,
  };
}

export function job(placement: Partial<PlacementOverrides> = {}, over: Partial<PlacementJob> = {}) {
  return {
    taskId: "t1",
    modelRef: "m:7b",
    ctx: 2048,
    sessionId: SESSION,
    placement: { mode: "auto", preferPools: [], avoidPools: [], allowFallback: true, ...placement },
    ...over,
  } satisfies PlacementJob;
}

export function assigned(decision: PlacementDecision): string {
  assert.equal(decision.kind, "assigned", JSON.stringify(decision));
  return decision.kind === "assigned" ? decision.poolId : "";
}

export function refused(decision: PlacementDecision) {
  assert.equal(decision.kind, "no_capacity", JSON.stringify(decision));
  if (decision.kind !== "no_capacity") throw new Error("unreachable");
  return decision;
}
