// Domain types shared by the control plane's policy modules: tasks (raw and valid), pools.
import type { PoolEngine } from "../common/config-schema-pool.js";
import type { SamplingKnobValues } from "../common/sampling-bounds.js";
import type { ChatTemplateRequest } from "../gen/llama_orch/v1/common.js";

/** Dispatch class: `interactive` always dequeues ahead of `batch` (SPEC 6.1). */
export type Priority = "interactive" | "batch";
export const priorities: readonly Priority[] = ["interactive", "batch"];

/** `strict` never shares a decode step with other sequences (DESIGN decision 9). */
export type Determinism = "strict" | "best_effort";
export const determinisms: readonly Determinism[] = ["strict", "best_effort"];

/** What a task asks of its pool: generated tokens, or (embeddings pools only) pooled vectors. */
export type Workload = "completion" | "embedding";
export const workloads: readonly Workload[] = ["completion", "embedding"];

/** One input of an embedding task: text, or token ids used as they are. */
export type EmbeddingInput = string | readonly number[];

export type PlacementMode = "auto" | "pin" | "prefer";
export const placementModes: readonly PlacementMode[] = ["auto", "pin", "prefer"];

/** Validated placement overrides (SPEC 6.4); with no overrides: `auto` and fallback allowed. */
export interface PlacementOverrides {
  mode: PlacementMode;
  /** Set exactly when `mode` is `pin`. */
  pinPoolId?: string;
  preferPools: string[];
  avoidPools: string[];
  /** Exact match against the pool's device mask, e.g. `"0"` or `"0,1"`. */
  requireDeviceMask?: string;
  allowFallback: boolean;
}

/** Sampling knobs a task may set (the bounds table's); absent ones take the engine's defaults. */
export interface SamplingParams extends SamplingKnobValues {
  logitBias?: { token: number; bias: number }[];
}

/** A chat task's lazy-grammar triggers and answer parser, from the worker's chat template. */
export interface ChatFormatParams {
  grammarLazy: boolean;
  grammarTriggers: string[];
  parser: string;
  grammarPrefill: string;
  /** The worker sends the parsed answer's deltas with each token (streamed tool calls). */
  streamDeltas: boolean;
}

/** A chat task's turns, tools and output constraint as the worker's chat template takes them. */
export interface ChatInput {
  template: ChatTemplateRequest;
  /** The worker sends the parsed answer's deltas with each token (streamed tool calls). */
  streamDeltas: boolean;
}

/** Session budgets; an absent member is unlimited. */
export interface BudgetLimits {
  tokens?: number;
  timeMs?: number;
  cost?: number;
}

/** Placement overrides as the edge hands them over, before validation. */
export interface PlacementInput {
  mode?: string;
  pinPoolId?: string;
  preferPools?: readonly string[];
  avoidPools?: readonly string[];
  requireDeviceMask?: string;
  allowFallback?: boolean;
}

/**
 * A task request as the gRPC/HTTP edge hands it over: field names translated, values unchecked.
 * Enum-like fields are plain strings so that unknown values reach admission and get INVALID_PARAMS.
 * Only `maxTokens` is required; DESIGN decision 6 lets everything else default.
 */
export interface TaskInput {
  /** Who submits it through the gateway (its transcript is theirs); absent for direct gRPC. */
  owner?: string;
  taskId?: string;
  sessionId?: string;
  workload?: string;
  modelRef?: string;
  engine?: string;
  ctx?: number;
  priority?: string;
  seed?: number;
  determinism?: string;
  prompt?: string;
  maxTokens?: number;
  /** Relative: ms from admission by which the task should have finished. */
  deadlineMs?: number;
  expectedTokens?: number;
  placement?: PlacementInput;
  sampling?: SamplingParams;
  stop?: readonly string[];
  grammar?: string;
  /** JSON Schema text the output must follow (response_format); not with grammar. */
  jsonSchema?: string;
  chatFormat?: ChatFormatParams;
  /** A chat: rendered and tokenized at admission into prompt, grammar, stops and chat format. */
  chat?: ChatInput;
  ignoreEos?: boolean;
  /** Prefix-cache tenant (see TaskRequest.cache_salt); absent: the "" tenant. */
  cacheSalt?: string;
  /** Budgets to give the session if this task creates it. */
  budgets?: BudgetLimits;
  /** Workload `embedding`: what to embed, and the vector size the caller expects. */
  embeddingInputs?: readonly EmbeddingInput[];
  embeddingDimensions?: number;
}

/**
 * A task after admission: every field checked and defaulted. Downstream code never re-checks.
 */
export interface ValidTask {
  taskId: string;
  sessionId: string;
  workload: Workload;
  /** Set exactly when workload is `embedding`. */
  embeddingInputs?: EmbeddingInput[];
  modelRef: string;
  /** The engine the task asked for; absent: any pool's engine may serve it. */
  engine?: PoolEngine;
  /** Tokens the sequence may hold: promptTokens + maxTokens <= ctx <= the model's ctx_max. */
  ctx: number;
  priority: Priority;
  /** 32-bit, as llama.cpp seeds its sampler; derived from taskId when the request gave none. */
  seed: number;
  determinism: Determinism;
  prompt: string;
  maxTokens: number;
  deadlineMs: number;
  /** False when deadlineMs is the configured default: such a task is never refused as late. */
  deadlineFromRequest: boolean;
  expectedTokens?: number;
  placement: PlacementOverrides;
  sampling: SamplingParams;
  stop: string[];
  grammar?: string;
  jsonSchema?: string;
  chatFormat?: ChatFormatParams;
  ignoreEos: boolean;
  /** Prefix-cache tenant: KV is reused only between tasks with the same salt. */
  cacheSalt: string;
  /** Budgets for the session if this task creates it; validated non-negative. */
  budgets?: BudgetLimits;
  /**
   * Prompt length in tokens as admission checked it: the tokenizer's count, or an upper bound
   * (bytes + 2) when that already proves the fit; the engine's exact count arrives in `end`.
   */
  promptTokens: number;
}

/** One pool as placement and the ETA model see it at one instant. */
export interface PoolSnapshot {
  poolId: string;
  ready: boolean;
  draining: boolean;
  modelRef: string;
  engine: string;
  engineVersion: string;
  /** Tokens one sequence may hold on this pool. */
  ctxMax: number;
  slotsTotal: number;
  activeLeases: number;
  queueDepth: number;
  /**
   * Requests the engine itself reports running plus waiting (its telemetry): an external engine
   * may serve other clients too. Absent before the first report.
   */
  engineBusy?: number;
  /** Absent for CPU pools and before the first telemetry report. */
  vramFreeBytes?: number;
  vramTotalBytes?: number;
  deviceMask?: string;
  /** Measured aggregate decode rate over recent steps; 0 before any work. */
  decodeTokensPerSecond: number;
  /** Per-sequence rate believed before any measurement, from the model's size (eta.ts). */
  priorTokensPerSecond?: number;
  /** Per-sequence rate finished tasks' clients were delivered here (eta.ts); absent before one. */
  observedTokensPerSecond?: number;
  /** Sessions whose KV this pool currently holds. */
  warmSessions: readonly string[];
  /** False when the pool's engine cannot isolate a sequence from its batch (no `strict`). */
  isolatesBatch?: boolean;
  /** An embeddings pool: it serves embedding tasks only, and no other pool serves them. */
  embeddings?: boolean;
}
