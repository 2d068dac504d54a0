// Admission: validate a raw task once, at the edge, into a ValidTask; and the deadline feasibility.
import { poolEngines } from "../common/config-schema-pool.js";
import { OrchError } from "../common/errors.js";
import { checkWorkload, type ModelWorkloads, validEmbedding } from "./embedding-admission.js";
import {
  type BudgetLimits,
  type Determinism,
  determinisms,
  type PlacementInput,
  type PlacementMode,
  type PlacementOverrides,
  type Priority,
  placementModes,
  priorities,
  type SamplingParams,
  type TaskInput,
  type ValidTask,
  type Workload,
  workloads,
} from "./types.js";

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEED_MAX = 0xffff_ffff;
// Longer than the gateway's 256-character cache_salt: it prefixes the salt with `salt:` or `id:`.
const CACHE_SALT_MAX = 512;

function invalid(message: string): OrchError {
  return new OrchError("INVALID_PARAMS", message);
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw invalid(`${field} must be one of ${allowed.join(", ")}; got "${value}"`);
  }
  return found;
}

function intIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}; got ${value}`);
  }
  return value;
}

function numIn(field: string, value: number | undefined, min: number, max: number) {
  if (value !== undefined && !(Number.isFinite(value) && value >= min && value <= max)) {
    throw invalid(`${field} must be a number from ${min} to ${max}; got ${value}`);
  }
}

function uuidOr(field: string, value: string | undefined, newId: () => string): string {
  if (value === undefined) return newId();
  if (!UUID.test(value)) throw invalid(`${field} must be a UUID; got "${value}"`);
  return value;
}

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

function validPlacement(input: PlacementInput | undefined): PlacementOverrides {
  const pin = input?.pinPoolId;
  // A bare pin_pool_id (OC-CORE-1018) means pinning even without mode.
  let mode: PlacementMode = pin ? "pin" : "auto";
  if (input?.mode !== undefined) mode = oneOf("placement.mode", input.mode, placementModes);
  if (mode === "pin" && !pin) throw invalid('placement.mode "pin" needs placement.pin_pool_id');
  if (mode !== "pin" && pin) {
    throw invalid(`placement.pin_pool_id is only used with mode "pin"; mode is "${mode}"`);
  }
  const placement: PlacementOverrides = {
    mode,
    preferPools: [...(input?.preferPools ?? [])],
    avoidPools: [...(input?.avoidPools ?? [])],
    allowFallback: input?.allowFallback ?? true,
  };
  if (pin) placement.pinPoolId = pin;
  if (input?.requireDeviceMask) placement.requireDeviceMask = input.requireDeviceMask;
  return placement;
}

function validSampling(s: SamplingParams | undefined): SamplingParams {
  if (!s) return {};
  numIn("sampling.temperature", s.temperature, 0, 100);
  if (s.topK !== undefined) intIn("sampling.top_k", s.topK, 0, 1_000_000);
  numIn("sampling.top_p", s.topP, 0, 1);
  numIn("sampling.min_p", s.minP, 0, 1);
  numIn("sampling.repeat_penalty", s.repeatPenalty, Number.MIN_VALUE, 100);
  if (s.repeatLastN !== undefined) intIn("sampling.repeat_last_n", s.repeatLastN, -1, 1_000_000);
  numIn("sampling.presence_penalty", s.presencePenalty, -2, 2);
  numIn("sampling.frequency_penalty", s.frequencyPenalty, -2, 2);
  for (const { token, bias } of s.logitBias ?? []) {
    intIn("sampling.logit_bias token", token, 0, 0x7fffffff);
    numIn(`sampling.logit_bias[${token}]`, bias, -100, 100);
  }
  if (s.logprobs !== undefined) intIn("sampling.logprobs", s.logprobs, 0, 20);
  return { ...s, logitBias: s.logitBias && [...s.logitBias] };
}

function validBudgets(b: BudgetLimits | undefined): BudgetLimits | undefined {
  if (!b) return undefined;
  if (b.tokens !== undefined) intIn("budgets.tokens", b.tokens, 0, Number.MAX_SAFE_INTEGER);
  if (b.timeMs !== undefined) intIn("budgets.time_ms", b.timeMs, 0, Number.MAX_SAFE_INTEGER);
  numIn("budgets.cost", b.cost, 0, Number.MAX_VALUE);
  return { ...b };
}

function validStop(stop: readonly string[] | undefined): string[] {
  // An empty stop string would end every generation before its first token.
  if (stop?.some((s) => s.length === 0)) throw invalid("stop strings must not be empty");
  return [...(stop ?? [])];
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

function deadlineOf(input: TaskInput, defaultMs: number): number {
  if (input.deadlineMs === undefined) return defaultMs;
  if (!Number.isInteger(input.deadlineMs)) {
    throw invalid(`deadline_ms must be an integer number of ms; got ${input.deadlineMs}`);
  }
  if (input.deadlineMs <= 0) {
    throw new OrchError(
      "DEADLINE_UNMET",
      `deadline_ms ${input.deadlineMs} has already passed; give a positive number of ms`,
    );
  }
  return input.deadlineMs;
}

/** The enum-like fields: unknown values are INVALID_PARAMS, absent ones take their defaults. */
function enums(input: TaskInput) {
  const engine =
    input.engine === undefined ? undefined : oneOf("engine", input.engine, poolEngines);
  const workload: Workload =
    input.workload === undefined ? "completion" : oneOf("workload", input.workload, workloads);
  const priority: Priority =
    input.priority === undefined ? "interactive" : oneOf("priority", input.priority, priorities);
  // best_effort by default: strict serialises decode steps and costs throughput (DESIGN 9).
  const determinism: Determinism =
    input.determinism === undefined
      ? "best_effort"
      : oneOf("determinism", input.determinism, determinisms);
  return { engine, priority, determinism, workload };
}

/** A salt names a cache tenant; it is a key, not text, so it stays short. */
function validCacheSalt(salt: string | undefined): string {
  if (salt === undefined) return "";
  if (salt.length > CACHE_SALT_MAX) {
    throw invalid(`cache_salt is ${salt.length} characters; use at most ${CACHE_SALT_MAX}`);
  }
  return salt;
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

/** Predicted wait for a slot and predicted decode time of one task, in ms (see eta.ts). */
export interface EtaMs {
  startMs: number;
  decodeMs: number;
}

/**
 * DEADLINE_UNMET when the predicted start plus predicted decode exceeds the task's deadline.
 * A task whose deadline is only the configured default is never refused: its client set none.
 */
export function checkDeadline(
  task: Pick<ValidTask, "deadlineMs" | "deadlineFromRequest">,
  eta: EtaMs,
): void {
  if (!task.deadlineFromRequest) return;
  const endMs = eta.startMs + eta.decodeMs;
  if (endMs <= task.deadlineMs) return;
  throw new OrchError(
    "DEADLINE_UNMET",
    `deadline_ms ${task.deadlineMs} cannot be met: predicted start in ${eta.startMs} ms plus ` +
      `decode of ${eta.decodeMs} ms ends at ${endMs} ms; raise deadline_ms, lower max_tokens ` +
      "(or set expected_tokens), or retry when the queue is shorter",
  );
}
