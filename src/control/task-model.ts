// Which model a task is for: its name (ref, catalog id or alias) resolved to a served pool model,
// the default model, and the task validated against the pools serving them now.
import { randomUUID } from "node:crypto";
import type { Config } from "../common/config.js";
import { type AdmissionContext, validateTask } from "./admission.js";
import type { ModelCatalog } from "./model-catalog.js";
import { namedEntry, servedModelRef } from "./model-names.js";
import { distrust, type ModelTrust } from "./model-trust.js";
import type { PoolRegistry } from "./pool-registry.js";
import { servedModels } from "./served-models.js";
import { taskPrompt } from "./task-prompt.js";
import type { TaskInput, ValidTask } from "./types.js";

export interface TaskModelDeps {
  config: Config;
  registry: PoolRegistry;
  catalog: Pick<ModelCatalog, "retiredRefs" | "list" | "touch">;
  trust?: Pick<ModelTrust, "admit">;
}

/** The ref of the pool model a task's name (ref, catalog id or alias) means. */
async function servedRef(deps: TaskModelDeps, name: string): Promise<string> {
  const pools = deps.registry.all().map((p) => ({
    modelRef: p.modelRef,
    digest: p.description?.model?.digest || undefined,
  }));
  const entries = await deps.catalog.list();
  deps.trust?.admit(name, distrust(name, entries));
  const named = namedEntry(name, entries);
  // A use for least-recently-used collection; losing one to a failed write costs nothing.
  if (named) deps.catalog.touch(named.id, Date.now()).catch(() => undefined);
  return servedModelRef(name, entries, pools);
}

/** The model the first configured pool serves now: a reload changes it, the config does not. */
function defaultModelRef(deps: TaskModelDeps): string {
  const first = deps.config.pools[0];
  if (!first) return "builtin:tiny";
  return deps.registry.get(first.id)?.modelRef || first.model;
}

function admissionContext(
  deps: TaskModelDeps,
  promptTokens: number,
  retired: Set<string>,
): AdmissionContext {
  const models = servedModels(deps.registry.all(), retired);
  const { defaultDeadlineMs, maxTokensLimit } = deps.config.admission;
  return {
    models,
    knownModels: new Set(deps.registry.all().map((pool) => pool.modelRef)),
    defaultModelRef: defaultModelRef(deps),
    defaultDeadlineMs,
    maxTokensLimit,
    newId: randomUUID,
    promptTokens: () => promptTokens,
  };
}

/** The task checked against the pools serving its model now, with its prompt's token ids. */
export async function validatedTask(
  deps: TaskModelDeps,
  input: TaskInput,
  correlationId: string,
): Promise<{ task: ValidTask; tokenIds: readonly number[] }> {
  const modelRef = await servedRef(deps, input.modelRef ?? defaultModelRef(deps));
  // A chat is rendered and tokenized here, once: admission counts those tokens, Generate takes them.
  const [prompt, retired] = await Promise.all([
    taskPrompt(deps.registry, modelRef, input, correlationId),
    deps.catalog.retiredRefs(),
  ]);
  const context = admissionContext(deps, prompt.promptTokens, retired);
  return { task: validateTask({ ...prompt.input, modelRef }, context), tokenIds: prompt.tokenIds };
}
