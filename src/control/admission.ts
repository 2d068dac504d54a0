// Admission: validate a raw task once, at the edge, into a ValidTask, filling every default.
import { OrchError } from "../common/errors.js";
import { deadlineOf } from "./deadline-check.js";
import { checkWorkload, type ModelWorkloads, validEmbedding } from "./embedding-admission.js";
import { intIn, invalid, uuidOr } from "./field-checks.js";
import {
  enums,
  validBudgets,
  validCacheSalt,
  validPlacement,
  validSampling,
  validStop,
} from "./task-options.js";
import type { TaskInput, ValidTask, Workload } from "./types.js";

/** What admission needs to know about one model of the catalog. */
export interface ModelLimits extends ModelWorkloads {
  /** The user-visible context limit (SPEC 6.2 `ctx_max`). */
  ctxMax: number;
  retired: boolean;
}

/** The deployment facts and collaborators admission checks a task against. */
export interface AdmissionContext {
  models: ReadonlyMap<string, ModelLimits>;
  /** Models some pool is configured or registered for, ready or not: absent ones are unknown. */
  knownModels?: ReadonlySet<string>;
  defaultModelRef: string;
  defaultDeadlineMs: number;
  maxTokensLimit: number;
  /** Generates task and session ids (a UUID in production; injected so tests are deterministic). */
  newId(): string;
  /** Counts the prompt's tokens with the model's tokenizer. */
  promptTokens(prompt: string): number;
}

const SEED_MAX = 0xffff_ffff;

/** FNV-1a over the task id: the seed SPEC 2.1 allows the orchestrator to inject, reproducible. */
export function seedFromTaskId(taskId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < taskId.length; i++) {
    hash ^= taskId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function modelLimits(modelRef: string, ctx: AdmissionContext): ModelLimits {
  const model = ctx.models.get(modelRef);
  if (!model) {
    const known = [...ctx.models.keys()].sort().slice(0, 10).join(", ");
    // A model a pool is loading (or reloading after a crash) is worth a retry; any other is a typo.
    if (ctx.knownModels?.has(modelRef)) {
      throw new OrchError(
        "POOL_UNREADY",
        `model_ref "${modelRef}" is not served by a ready pool yet; retry once its pool is ready`,
      );
    }
    throw new OrchError(
      "MODEL_NOT_FOUND",
      `model_ref "${modelRef}" is not served here; use one of: ${known} (GET /v1/models lists them)`,
    );
  }
  if (model.retired) {
    throw new OrchError(
      "MODEL_DEPRECATED",
      `model_ref "${modelRef}" is retired; choose an active model`,
    );
  }
  return model;
}

/** Context and token bounds of DESIGN decision 6, with messages that say what to change. */
function tokenBounds(
  input: TaskInput,
  ctxMax: number,
  maxTokensLimit: number,
  promptTokens: number,
) {
  if (input.maxTokens === undefined) throw invalid("max_tokens is required");
  const maxTokens = intIn("max_tokens", input.maxTokens, 1, maxTokensLimit);
  if (input.ctx !== undefined && Number.isInteger(input.ctx) && input.ctx > ctxMax) {
    throw new OrchError(
      "CONTEXT_TOO_LARGE",
      `ctx ${input.ctx} exceeds the model's ctx_max ${ctxMax}; lower ctx or omit it`,
    );
  }
  const ctx = intIn("ctx", input.ctx ?? ctxMax, 1, ctxMax);
  if (promptTokens + maxTokens > ctx) {
    const raise = ctx < ctxMax ? `, or raise ctx (model limit ${ctxMax})` : "";
    const room = ctx - promptTokens;
    const lower = room >= 1 ? `lower max_tokens to at most ${room} or ` : "";
    throw new OrchError(
      "PROMPT_TOO_LONG",
      `prompt (${promptTokens} tokens) + max_tokens (${maxTokens}) = ${promptTokens + maxTokens} ` +
        `exceeds ctx ${ctx}; ${lower}shorten the prompt${raise}`,
    );
  }
  if (input.expectedTokens !== undefined) {
    intIn("expected_tokens", input.expectedTokens, 1, maxTokens);
  }
  return { ctx, maxTokens };
}

/**
 * The prompt, its token count and the context bounds. An embedding task generates nothing and holds
 * no context after it: the engine checks each input against its pool's context, so it asks
 * placement for no context (ctx 1) and its inputs' token bound counts as its prompt.
 */
function workloadBounds(
  input: TaskInput,
  workload: Workload,
  served: { modelRef: string; model: ModelLimits },
  ctx: AdmissionContext,
) {
  const { modelRef, model } = served;
  checkWorkload(modelRef, workload, model);
  const embedding = workload === "embedding" ? validEmbedding(input, modelRef, model) : undefined;
  const prompt = input.prompt ?? "";
  if (embedding) {
    const bounds = tokenBounds({ ...input, maxTokens: 1, ctx: 1 }, 1, 1, 0);
    return { embedding, prompt, promptTokens: embedding.promptTokens, bounds };
  }
  const promptTokens = ctx.promptTokens(prompt);
  const bounds = tokenBounds(input, model.ctxMax, ctx.maxTokensLimit, promptTokens);
  return { embedding, prompt, promptTokens, bounds };
}

/**
 * Checks a raw task against the catalog and DESIGN decision 6 and fills every default.
 * Throws OrchError: INVALID_PARAMS, DEADLINE_UNMET, MODEL_NOT_FOUND (no pool serves the model),
 * POOL_UNREADY (its pools are not ready), MODEL_DEPRECATED (retired model), CONTEXT_TOO_LARGE
 * (ctx above the model's), PROMPT_TOO_LONG (prompt + max_tokens do not fit ctx).
 */
export function validateTask(input: TaskInput, ctx: AdmissionContext): ValidTask {
  const { engine, priority, determinism, workload } = enums(input);
  const taskId = uuidOr("task_id", input.taskId, () => ctx.newId());
  const sessionId = uuidOr("session_id", input.sessionId, () => ctx.newId());
  const seed =
    input.seed === undefined ? seedFromTaskId(taskId) : intIn("seed", input.seed, 0, SEED_MAX);
  const placement = validPlacement(input.placement);
  const sampling = validSampling(input.sampling);
  const stop = validStop(input.stop);
  const budgets = validBudgets(input.budgets);
  if (input.grammar === "") throw invalid("grammar must not be empty when given");
  if (input.grammar !== undefined && input.jsonSchema !== undefined) {
    throw invalid("give grammar or response_format (a JSON schema), not both");
  }
  const cacheSalt = validCacheSalt(input.cacheSalt);
  const deadlineMs = deadlineOf(input, ctx.defaultDeadlineMs);
  const modelRef = input.modelRef ?? ctx.defaultModelRef;
  const model = modelLimits(modelRef, ctx);
  const { embedding, prompt, promptTokens, bounds } = workloadBounds(
    input,
    workload,
    { modelRef, model },
    ctx,
  );
  const task: ValidTask = {
    taskId,
    sessionId,
    workload,
    modelRef,
    engine,
    ...bounds,
    priority,
    seed,
    determinism,
    prompt,
    deadlineMs,
    deadlineFromRequest: input.deadlineMs !== undefined,
    placement,
    sampling,
    stop,
    ignoreEos: input.ignoreEos ?? false,
    cacheSalt,
    promptTokens,
  };
  if (input.expectedTokens !== undefined) task.expectedTokens = input.expectedTokens;
  if (input.grammar !== undefined) task.grammar = input.grammar;
  if (input.jsonSchema !== undefined) task.jsonSchema = input.jsonSchema;
  if (input.chatFormat !== undefined) task.chatFormat = input.chatFormat;
  if (budgets) task.budgets = budgets;
  if (embedding) task.embeddingInputs = embedding.inputs;
  return task;
}
