// Placement's refusals: the error code and actionable message when no pool can take a task.
import { type ErrorCode, OrchError } from "../common/errors.js";
import type {
  DecisionLog,
  FilteredPool,
  FilterReason,
  NoCapacity,
  NoCapacityReason,
  PlacementDecision,
  PlacementJob,
} from "./placement-types.js";
import type { PlacementOverrides } from "./types.js";

function refusal(code: ErrorCode, reason: NoCapacityReason, message: string, log: DecisionLog) {
  return { kind: "no_capacity", code, reason, message, log } satisfies NoCapacity;
}

const TRANSIENT: readonly FilterReason[] = ["not_ready", "draining"];

/**
 * The error for a task no relevant pool can take: transient states say retry; a model no pool
 * serves is POOL_UNREADY (SPEC 6.2); other mismatches, pinned pools included, say fix the request.
 */
function classify(
  relevant: FilteredPool[],
  modelRef: string,
  pinned: boolean,
): { code: ErrorCode; text: string } {
  const list = (pools: FilteredPool[]) => pools.map((f) => `${f.poolId}: ${f.detail}`).join("; ");
  const waiting = relevant.filter((f) => TRANSIENT.includes(f.reason));
  if (waiting.length > 0) {
    return { code: "POOL_UNREADY", text: `${list(waiting)}; retry once the pool is ready` };
  }
  if (relevant.some((f) => f.reason === "strict_unsupported")) {
    return {
      code: "ENGINE_UNSUPPORTED",
      text: `${list(relevant)}; use determinism best_effort or a pool of the native engine`,
    };
  }
  if (!pinned && relevant.every((f) => f.reason === "model_mismatch")) {
    return { code: "POOL_UNREADY", text: `no pool serves model ${modelRef}; serve it on a pool` };
  }
  return {
    code: "INVALID_PARAMS",
    text: `${list(relevant)}; change the request's placement or ctx`,
  };
}

export function noCapacity(
  reason: NoCapacityReason,
  relevant: FilteredPool[],
  job: PlacementJob,
  log: DecisionLog,
): PlacementDecision {
  const { code, text } = classify(relevant, job.modelRef, job.placement.mode === "pin");
  return refusal(code, reason, `task cannot be placed: ${text}`, log);
}

export function noPreferred(job: PlacementJob, log: DecisionLog): PlacementDecision {
  const names = job.placement.preferPools;
  const relevant = log.filtered.filter((f) => names.includes(f.poolId));
  if (relevant.length > 0) return noCapacity("no_preferred_feasible", relevant, job, log);
  const message =
    `task cannot be placed: none of placement.prefer_pools (${names.join(", ")}) is a known ` +
    "pool and allow_fallback is false; name known pools or allow fallback";
  return refusal("INVALID_PARAMS", "no_preferred_feasible", message, log);
}

export function pinUnknown(p: PlacementOverrides, log: DecisionLog): PlacementDecision {
  const known = log.candidates.join(", ") || "none";
  const message = `placement.pin_pool_id "${p.pinPoolId}" names no pool; known pools: ${known}`;
  return refusal("INVALID_PARAMS", "pinned_pool_unknown", message, log);
}

/** The client-facing error of a decision that found no pool. */
export function noCapacityError(decision: NoCapacity, retryAfterMs?: number): OrchError {
  return new OrchError(decision.code, decision.message, retryAfterMs ? { retryAfterMs } : {});
}
