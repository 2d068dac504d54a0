// The ETA model: predicted start, decode time, on-time probability and retry advice from pool load.
//
// Model (DESIGN decision 7: from measured throughput and active leases, never a constant):
// - A pool decodes its active sequences together. Its measured decodeTokensPerSecond is the
//   aggregate over the sequences of recent steps; with `activeLeases` sequences sharing it, one
//   sequence advances at r = aggregate / max(1, activeLeases). Decode is memory-bound at these
//   batch sizes, so r stays roughly constant as sequences join: it is the rate a new task gets.
// - Before any measurement the pool decodes at FALLBACK_TOKENS_PER_SECOND per sequence, a
//   deliberately low rate (a small model on CPU) so early ETAs err late rather than early.
// - A task at queue position p (0-based) starts at once if p < free slots. Otherwise it waits for
//   p - free + 1 completions; a saturated pool runs slotsTotal sequences at r each, so a task of
//   E tokens completes every E / (slotsTotal * r) seconds on average.
import type { PoolSnapshot } from "./types.js";

/** Per-sequence decode rate assumed before a pool has measured one, in tokens/s. */
export const FALLBACK_TOKENS_PER_SECOND = 10;
/** Slowest per-sequence rate believed, so that every prediction stays a finite number of ms. */
export const MIN_TOKENS_PER_SECOND = 0.01;
/** Bounds of retry advice: the SPEC's 1000 ms advisory as the floor; a minute as the ceiling. */
export const MIN_RETRY_AFTER_MS = 1000;
export const MAX_RETRY_AFTER_MS = 60_000;

/** The load figures of one pool the model needs. */
export type PoolLoad = Pick<PoolSnapshot, "activeLeases" | "slotsTotal" | "decodeTokensPerSecond">;

export interface StartInput extends PoolLoad {
  /** 0-based position in the pool's queue, in dispatch order (TaskQueue.position). */
  position: number;
  /** Average tokens a task ahead will generate (e.g. mean expected_tokens ?? max_tokens). */
  avgTaskTokens: number;
}

/** Tokens/s one sequence gets on this pool now; measured when possible, else the fallback. */
export function perSequenceTokensPerSecond(pool: PoolLoad): number {
  const aggregate = pool.decodeTokensPerSecond;
  if (!(Number.isFinite(aggregate) && aggregate > 0)) return FALLBACK_TOKENS_PER_SECOND;
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
