// What admission knows of each served model, from the ready pools: context, kinds of task, vectors.
import type { ModelLimits } from "./admission.js";
import type { PoolState } from "./pool-registry.js";
import type { Workload } from "./types.js";

/** Ready pools by model: the largest context, the workloads they serve, the embedding size. */
export function servedModels(
  pools: readonly PoolState[],
  retired: ReadonlySet<string>,
): Map<string, ModelLimits> {
  const models = new Map<string, ModelLimits>();
  for (const pool of pools) {
    const model = pool.description?.model;
    const ctxMax = model?.contextSize ?? 0;
    if (!pool.ready || ctxMax === 0) continue;
    const known = models.get(pool.modelRef);
    const embeds = Boolean(model?.pooling);
    const workload: Workload = embeds ? "embedding" : "completion";
    models.set(pool.modelRef, {
      ctxMax: Math.max(ctxMax, known?.ctxMax ?? 0),
      retired: retired.has(pool.modelRef),
      workloads: new Set([...(known?.workloads ?? []), workload]),
      embeddingLength: embeds ? model?.embeddingLength : known?.embeddingLength,
    });
  }
  return models;
}
