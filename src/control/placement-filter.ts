// Placement's filter: the first reason, if any, a pool cannot take a task.
import type { FilteredPool, FilterReason, PlacementJob } from "./placement-types.js";
import type { PoolSnapshot } from "./types.js";

// Configured facts (pin, avoid list, model) come first, then readiness, then the figures a
// worker reports once registered (ctx, devices): an unready pool's figures may still be unknown,
// so a pool logged `not_ready` or `draining` serves the model and may take the task once back.
export function filterReason(pool: PoolSnapshot, job: PlacementJob): FilteredPool | undefined {
  const p = job.placement;
  const out = (reason: FilterReason, detail: string) => ({ poolId: pool.poolId, reason, detail });
  if (p.mode === "pin" && pool.poolId !== p.pinPoolId) return out("not_pinned", "not the pin");
  if (p.avoidPools.includes(pool.poolId)) return out("avoided", "in placement.avoid_pools");
  if (pool.modelRef !== job.modelRef) {
    return out("model_mismatch", `serves ${pool.modelRef || "no model"}, not ${job.modelRef}`);
  }
  if (job.engine !== undefined && pool.engine !== job.engine) {
    return out("engine_mismatch", `engine ${pool.engine}, not ${job.engine}`);
  }
  if ((job.workload === "embedding") !== (pool.embeddings === true)) {
    const serves = pool.embeddings ? "embeddings only" : "generation only";
    return out("workload_mismatch", `serves ${serves}, not ${job.workload ?? "completion"}`);
  }
  if (job.determinism === "strict" && pool.isolatesBatch === false) {
    return out("strict_unsupported", `engine ${pool.engine} cannot serve determinism strict`);
  }
  if (!pool.ready) return out("not_ready", "not ready");
  if (pool.draining) return out("draining", "draining");
  if (pool.ctxMax < job.ctx) {
    return out("ctx_too_small", `ctx ${job.ctx} > pool ctx ${pool.ctxMax}`);
  }
  if (p.requireDeviceMask !== undefined && pool.deviceMask !== p.requireDeviceMask) {
    const mask = pool.deviceMask ?? "none";
    return out("device_mask_mismatch", `devices ${mask}, required ${p.requireDeviceMask}`);
  }
  return undefined;
}
