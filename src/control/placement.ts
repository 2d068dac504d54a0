// Placement: choose the pool for a task from pool snapshots, with every reason logged (DESIGN 5).
import { type ErrorCode, OrchError } from "../common/errors.js";
import { compareLoad, hasIdleSlot, loadsOf, type PoolLoad } from "./pool-load.js";
import type { Determinism, PlacementOverrides, PoolSnapshot, Workload } from "./types.js";

/** What placement needs to know about a task. */
export interface PlacementJob {
  taskId: string;
  modelRef: string;
  /** Only pools of this engine; absent: any. */
  engine?: string;
  /** `strict` needs a pool whose engine isolates a sequence from its batch. */
  determinism?: Determinism;
  /** `embedding` only on embeddings pools, anything else only on the others. Absent: completion. */
  workload?: Workload;
  ctx: number;
  sessionId: string;
  /** KV bytes the task's context will take; see estimateKvBytes. */
  estKvBytes?: number;
  /** Per pool id, prompt tokens the prefix index expects that pool to hold cached. */
  expectedCachedTokens?: Readonly<Record<string, number>>;
  placement: PlacementOverrides;
}

/** Why a pool was not a candidate; checked in this order, the first that applies is logged. */
export type FilterReason =
  | "not_pinned"
  | "avoided"
  | "model_mismatch"
  | "engine_mismatch"
  | "workload_mismatch"
  | "strict_unsupported"
  | "ctx_too_small"
  | "device_mask_mismatch"
  | "not_ready"
  | "draining"
  | "not_preferred";

/** Ordering keys, most significant first. */
export type TieBreaker =
  | "session_affinity"
  | "prefix_cache"
  | "least_loaded"
  | "most_free_vram"
  | "fastest_decode"
  | "pool_id";

export interface FilteredPool {
  poolId: string;
  reason: FilterReason;
  detail: string;
}

/** Everything needed to log a decision with its reasons (SPEC 6.4 DecisionLog). */
export interface DecisionLog {
  /** Every pool considered, by id. */
  candidates: string[];
  filtered: FilteredPool[];
  /** Feasible pools, best first. */
  ranking: string[];
  /** Keys compared between the best and the runner-up; the last one decided. */
  tieBreakers: TieBreaker[];
  pinned: boolean;
  fallbackUsed: boolean;
  selected?: string;
  /** The load figures `least_loaded` compared, per feasible pool. */
  loads: Record<string, PoolLoad>;
}

export type NoCapacityReason =
  | "pinned_pool_unknown"
  | "pinned_pool_infeasible"
  | "no_preferred_feasible"
  | "no_feasible_pool";

/** A refusal; `message` is actionable text for the client's error. */
export interface NoCapacity {
  kind: "no_capacity";
  code: ErrorCode;
  reason: NoCapacityReason;
  message: string;
  log: DecisionLog;
}

export type PlacementDecision = { kind: "assigned"; poolId: string; log: DecisionLog } | NoCapacity;

function refusal(code: ErrorCode, reason: NoCapacityReason, message: string, log: DecisionLog) {
  return { kind: "no_capacity", code, reason, message, log } satisfies NoCapacity;
}

/** Per-token KV size of a model: K and V for every layer and KV head. */
export interface KvDims {
  layers: number;
  kvHeads: number;
  headDim: number;
  /** 2 for f16, ~1.06 for q8_0, 4 for f32. */
  bytesPerElement: number;
}

/** KV bytes `tokens` tokens of context take, from the model's dimensions or a per-token figure. */
export function estimateKvBytes(tokens: number, perToken: KvDims | number): number {
  const bytesPerToken =
    typeof perToken === "number"
      ? perToken
      : 2 * perToken.layers * perToken.kvHeads * perToken.headDim * perToken.bytesPerElement;
  return Math.ceil(tokens * bytesPerToken);
}

// Configured facts (pin, avoid list, model) come first, then readiness, then the figures a
// worker reports once registered (ctx, devices): an unready pool's figures may still be unknown,
// so a pool logged `not_ready` or `draining` serves the model and may take the task once back.
function filterReason(pool: PoolSnapshot, job: PlacementJob): FilteredPool | undefined {
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

const isWarm = (pool: PoolSnapshot, job: PlacementJob) => pool.warmSessions.includes(job.sessionId);

// VRAM left after this task's KV; a pool already holding the session's KV needs none. CPU pools
// report no VRAM and rank after any GPU pool on this key.
function residualVram(pool: PoolSnapshot, job: PlacementJob): number | undefined {
  if (pool.vramFreeBytes === undefined) return undefined;
  return pool.vramFreeBytes - (isWarm(pool, job) ? 0 : (job.estKvBytes ?? 0));
}

function compareOptional(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) {
    return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  }
  return Math.sign(b - a);
}

type Compare = (a: PoolSnapshot, b: PoolSnapshot, job: PlacementJob) => number;

// More expected cache wins against load only while it can be used at once: the pool holding more
// of the prompt wins if it is no more loaded than the other or still has an idle slot; otherwise
// waiting there would cost more than the prefill it saves, and load decides.
const comparePrefix: Compare = (a, b, job) => {
  const cached = (pool: PoolSnapshot) => job.expectedCachedTokens?.[pool.poolId] ?? 0;
  const diff = cached(b) - cached(a);
  if (diff === 0) return 0;
  const [more, less] = diff < 0 ? [a, b] : [b, a];
  const usable = compareLoad(more, less) <= 0 || hasIdleSlot(more);
  return usable ? Math.sign(diff) : 0;
};

// Code-unit order, not localeCompare: the same on every machine and locale.
const byPoolId = (a: PoolSnapshot, b: PoolSnapshot) =>
  a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0;

// Each returns < 0 when `a` is the better pool.
const ORDER: readonly (readonly [TieBreaker, Compare])[] = [
  ["session_affinity", (a, b, job) => Number(isWarm(b, job)) - Number(isWarm(a, job))],
  ["prefix_cache", comparePrefix],
  ["least_loaded", compareLoad],
  ["most_free_vram", (a, b, job) => compareOptional(residualVram(a, job), residualVram(b, job))],
  ["fastest_decode", (a, b) => Math.sign(b.decodeTokensPerSecond - a.decodeTokensPerSecond)],
  ["pool_id", byPoolId],
];

function compare(a: PoolSnapshot, b: PoolSnapshot, job: PlacementJob): number {
  for (const [, cmp] of ORDER) {
    const c = cmp(a, b, job);
    if (c !== 0) return c;
  }
  return 0;
}

function decidingKeys(best: PoolSnapshot, next: PoolSnapshot | undefined, job: PlacementJob) {
  const keys: TieBreaker[] = [];
  if (!next) return keys;
  for (const [name, cmp] of ORDER) {
    keys.push(name);
    if (cmp(best, next, job) !== 0) break;
  }
  return keys;
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

function noCapacity(
  reason: NoCapacityReason,
  relevant: FilteredPool[],
  job: PlacementJob,
  log: DecisionLog,
): PlacementDecision {
  const { code, text } = classify(relevant, job.modelRef, job.placement.mode === "pin");
  return refusal(code, reason, `task cannot be placed: ${text}`, log);
}

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

function noPreferred(job: PlacementJob, log: DecisionLog): PlacementDecision {
  const names = job.placement.preferPools;
  const relevant = log.filtered.filter((f) => names.includes(f.poolId));
  if (relevant.length > 0) return noCapacity("no_preferred_feasible", relevant, job, log);
  const message =
    `task cannot be placed: none of placement.prefer_pools (${names.join(", ")}) is a known ` +
    "pool and allow_fallback is false; name known pools or allow fallback";
  return refusal("INVALID_PARAMS", "no_preferred_feasible", message, log);
}

function pinUnknown(p: PlacementOverrides, log: DecisionLog): PlacementDecision {
  const known = log.candidates.join(", ") || "none";
  const message = `placement.pin_pool_id "${p.pinPoolId}" names no pool; known pools: ${known}`;
  return refusal("INVALID_PARAMS", "pinned_pool_unknown", message, log);
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

/** The client-facing error of a decision that found no pool. */
export function noCapacityError(decision: NoCapacity, retryAfterMs?: number): OrchError {
  return new OrchError(decision.code, decision.message, retryAfterMs ? { retryAfterMs } : {});
}
