// The ETA model: predicted start, decode time, on-time probability and retry advice from pool load.
//
// Model (DESIGN decision 7: from measured throughput and active leases, never a constant):
// - A pool decodes its active sequences together. Its measured decodeTokensPerSecond is the
//   aggregate over the sequences of recent steps; with `activeLeases` sequences sharing it, one
//   sequence advances at r = aggregate / max(1, activeLeases). Decode is memory-bound at these
//   batch sizes, so r stays roughly constant as sequences join: it is the rate a new task gets.
// - Before any measurement the rate is a prior from the model's size: decode reads every weight
//   once per step, so one sequence gets about (memory bandwidth / model bytes) tokens/s, bounded to
//   [FALLBACK_TOKENS_PER_SECOND, MAX_PRIOR_TOKENS_PER_SECOND]. The bandwidths assumed are low
//   (a laptop's effective CPU bandwidth, a mid-range GPU's) so cold ETAs err late, not early.
//   With no model size known either, FALLBACK_TOKENS_PER_SECOND.
// - A task at queue position p (0-based) starts at once if p < free slots. Otherwise it waits for
//   p - free + 1 completions; a saturated pool runs slotsTotal sequences at r each, so a task of
//   E tokens completes every E / (slotsTotal * r) seconds on average.
import type { PoolSnapshot } from "./types.js";

/** Per-sequence decode rate assumed before a pool has measured one, in tokens/s. */
export const FALLBACK_TOKENS_PER_SECOND = 10;
/** Effective memory bandwidth one decoding sequence sees, by pool backend, in bytes/s. */
export const PRIOR_BANDWIDTH_BYTES_PER_SECOND: Readonly<Record<string, number>> = {
  cpu: 5e9,
  cuda: 150e9,
};
/** The prior never promises more than this per sequence, however small the model. */
export const MAX_PRIOR_TOKENS_PER_SECOND = 1000;
/** Slowest per-sequence rate believed, so that every prediction stays a finite number of ms. */
export const MIN_TOKENS_PER_SECOND = 0.01;
/** Bounds of retry advice: the SPEC's 1000 ms advisory as the floor; a minute as the ceiling. */
export const MIN_RETRY_AFTER_MS = 1000;
export const MAX_RETRY_AFTER_MS = 60_000;

/** The load figures of one pool the model needs. */
export type PoolLoad = Pick<PoolSnapshot, "activeLeases" | "slotsTotal" | "decodeTokensPerSecond"> &
  Partial<Pick<PoolSnapshot, "priorTokensPerSecond" | "observedTokensPerSecond">>;

export interface StartInput extends PoolLoad {
  /** 0-based position in the pool's queue, in dispatch order (TaskQueue.position). */
  position: number;
  /** Average tokens a task ahead will generate (e.g. mean expected_tokens ?? max_tokens). */
  avgTaskTokens: number;
}

/** The per-sequence rate a pool is believed to reach before measuring one (see the header). */
export function priorTokensPerSecond(backend: string, modelBytes: number): number | undefined {
  const bandwidth =
    PRIOR_BANDWIDTH_BYTES_PER_SECOND[backend] ?? PRIOR_BANDWIDTH_BYTES_PER_SECOND.cpu;
  if (!(modelBytes > 0) || bandwidth === undefined) return undefined;
  const rate = bandwidth / modelBytes;
  return Math.min(MAX_PRIOR_TOKENS_PER_SECOND, Math.max(FALLBACK_TOKENS_PER_SECOND, rate));
}

/**
 * Tokens/s one sequence gets on this pool now. First what its clients were actually delivered
 * (observed over finished tasks: sampling, IPC and a loaded host included, which the engine's
 * step timing leaves out), then the engine's measured step rate, then the model-size prior.
 */
export function perSequenceTokensPerSecond(pool: PoolLoad): number {
  const observed = pool.observedTokensPerSecond;
  if (observed !== undefined && Number.isFinite(observed) && observed > 0)
    return Math.max(MIN_TOKENS_PER_SECOND, observed);
  const aggregate = pool.decodeTokensPerSecond;
  if (!(Number.isFinite(aggregate) && aggregate > 0))
    return pool.priorTokensPerSecond ?? FALLBACK_TOKENS_PER_SECOND;
  return Math.max(MIN_TOKENS_PER_SECOND, aggregate / Math.max(1, pool.activeLeases));
}

/** Average ms between two task completions on a saturated pool. */
function msPerCompletion(pool: PoolLoad, avgTaskTokens: number): number {
  const slots = Math.max(1, pool.slotsTotal);
  const rate = perSequenceTokensPerSecond(pool) * slots;
  return (Math.max(1, avgTaskTokens) / rate) * 1000;
}

/** Predicted ms until the task at `position` gets a slot (0 when a slot is free for it). */
export function predictStartMs(input: StartInput): number {
  const free = Math.max(0, input.slotsTotal - input.activeLeases);
  if (input.position < free) return 0;
  const completionsNeeded = input.position - free + 1;
  return Math.ceil(completionsNeeded * msPerCompletion(input, input.avgTaskTokens));
}

/** Predicted ms to decode `tokens` tokens once running on this pool. */
export function predictDecodeMs(tokens: number, pool: PoolLoad): number {
  return Math.ceil((Math.max(0, tokens) / perSequenceTokensPerSecond(pool)) * 1000);
}

/**
 * Probability of finishing on time, for SSE metrics frames: with x = remaining / predicted, it is
 * x^4 / (1 + x^4). It is 0.5 when the prediction exactly meets the deadline, ~0.94 with twice the
 * time needed, ~0.06 with half; it rises with slack and falls with predicted time. The exponent
 * encodes how much we trust the estimate: a rough one, hence a soft curve.
 */
export function onTimeProbability(remainingMs: number, predictedMs: number): number {
  if (remainingMs <= 0) return 0;
  if (predictedMs <= 0) return 1;
  const x4 = (remainingMs / predictedMs) ** 4;
  return Number.isFinite(x4) ? x4 / (1 + x4) : 1;
}

/**
 * Backoff advice for a full queue (Retry-After, X-Backoff-Ms): the time until one task completes
 * and frees a queue place, clamped to [MIN_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS].
 */
export function retryAfterMs(pool: PoolLoad, avgTaskTokens: number): number {
  const ms = Math.ceil(msPerCompletion(pool, avgTaskTokens));
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
}

/** Weight of the newest finished task in the observed rate: recent load counts most. */
export const OBSERVED_RATE_WEIGHT = 0.3;

/**
 * The decode rate a finished task's clients saw, tokens/s from its first token to its end; undefined
 * when it produced too few tokens to time.
 */
export function deliveredTokensPerSecond(
  tokensOut: number,
  firstTokenMs: number | undefined,
  endMs: number,
): number | undefined {
  if (firstTokenMs === undefined || tokensOut < 2 || endMs <= firstTokenMs) return undefined;
  return ((tokensOut - 1) / (endMs - firstTokenMs)) * 1000;
}

/** Blends a new delivered-rate sample into a pool's observed rate. */
export function blendObserved(previous: number | undefined, sample: number): number {
  if (previous === undefined) return sample;
  return previous + OBSERVED_RATE_WEIGHT * (sample - previous);
}

/** What the queue-walk ETA needs: the pool's rate, its slots, and the work ahead of a task. */
export interface QueueWalkInput extends PoolLoad {
  /** Tokens each running sequence still has to generate (one entry per busy slot). */
  runningTokensLeft: readonly number[];
  /** Tokens each queued task ahead will generate, in dispatch order. */
  aheadTokens: readonly number[];
}

/**
 * Predicted ms until each task of a queue gets a slot, walking it in dispatch order: each task
 * takes the slot that frees first (running tasks free theirs after their tokens left) and holds it
 * for its own tokens. Element k is the start of `aheadTokens[k]`; the last element is the start of
 * a task queued behind them all. A free slot: 0.
 */
export function queueStartsMs(input: QueueWalkInput): number[] {
  const rate = perSequenceTokensPerSecond(input);
  const slots = Math.max(1, input.slotsTotal);
  const freeAt = input.runningTokensLeft.slice(0, slots).map((t) => (Math.max(0, t) / rate) * 1000);
  while (freeAt.length < slots) freeAt.push(0);
  const starts: number[] = [];
  for (const tokens of [...input.aheadTokens, 0]) {
    const next = earliest(freeAt);
    const start = freeAt[next] ?? 0;
    starts.push(Math.ceil(start));
    freeAt[next] = start + (Math.max(1, tokens) / rate) * 1000;
  }
  return starts;
}

/** Predicted ms until a task queued behind `aheadTokens` gets a slot (see queueStartsMs). */
export function predictStartFromQueue(input: QueueWalkInput): number {
  const starts = queueStartsMs(input);
  return starts[starts.length - 1] ?? 0;
}

function earliest(times: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < times.length; i++) if ((times[i] ?? 0) < (times[best] ?? 0)) best = i;
  return best;
}
