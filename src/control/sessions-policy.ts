// Session lifecycle rules: creation with defaults, sliding TTL expiry, turn limits, KV warmth.
//
// Pure: each function returns a new record, so the service commits a turn only once the task it
// belongs to is admitted (a task refused after admitTurn leaves the stored session untouched).
import { OrchError } from "../common/errors.js";
import { newBudgetState, releaseAll, remaining, type SessionBudgetState } from "./budgets.js";
import type { BudgetLimits } from "./types.js";

/** SPEC 4 / DESIGN decision 8 defaults: 10 minutes idle, 8 turns. */
export const DEFAULT_SESSION_TTL_MS = 600_000;
export const DEFAULT_MAX_TURNS = 8;

export interface SessionPolicy {
  ttlMs: number;
  maxTurns: number;
}

export const defaultSessionPolicy: SessionPolicy = {
  ttlMs: DEFAULT_SESSION_TTL_MS,
  maxTurns: DEFAULT_MAX_TURNS,
};

/** Session metadata only: sessions never store prompts or outputs (SPEC 4). */
export interface SessionRecord {
  sessionId: string;
  createdMs: number;
  lastUsedMs: number;
  ttlMs: number;
  /** Turns admitted so far. */
  turns: number;
  maxTurns: number;
  budget: SessionBudgetState;
  /** The pool that last served the session: where its KV may still be warm. */
  poolId?: string;
  kvWarm: boolean;
  kvBytes: number;
}

/** A new session, created on its first task (DESIGN decision 8). */
export function createSession(
  sessionId: string,
  nowMs: number,
  policy: SessionPolicy = defaultSessionPolicy,
  limits: BudgetLimits = {},
): SessionRecord {
  return {
    sessionId,
    createdMs: nowMs,
    lastUsedMs: nowMs,
    ttlMs: policy.ttlMs,
    turns: 0,
    maxTurns: policy.maxTurns,
    budget: newBudgetState(limits),
    kvWarm: false,
    kvBytes: 0,
  };
}

/** Ms left before the session expires; the TTL counts from its last use, not its creation. */
export function ttlRemaining(session: SessionRecord, nowMs: number): number {
  return Math.max(0, session.lastUsedMs + session.ttlMs - nowMs);
}

export function isExpired(session: SessionRecord, nowMs: number): boolean {
  return ttlRemaining(session, nowMs) === 0;
}

/**
 * The session a task runs in: the stored one while it lives, else a new one (an expired session
 * is evicted before new work is accepted, SPEC 4). `created` tells the service to persist it.
 */
export function resolveSession(
  stored: SessionRecord | undefined,
  sessionId: string,
  nowMs: number,
  policy: SessionPolicy = defaultSessionPolicy,
  limits: BudgetLimits = {},
): { session: SessionRecord; created: boolean } {
  if (stored && !isExpired(stored, nowMs)) return { session: stored, created: false };
  return { session: createSession(sessionId, nowMs, policy, limits), created: true };
}

/** Counts one more turn and refreshes the TTL; SESSION_TURNS_EXCEEDED once all turns are used. */
export function admitTurn(session: SessionRecord, nowMs: number): SessionRecord {
  if (session.turns >= session.maxTurns) {
    throw new OrchError(
      "SESSION_TURNS_EXCEEDED",
      `session ${session.sessionId} has used all ${session.maxTurns} turns; ` +
        "start a new session (send a new session_id, or none)",
    );
  }
  return { ...session, turns: session.turns + 1, lastUsedMs: nowMs };
}

/** Records where the session's KV now lives after a task ended on `poolId`. */
export function noteKv(
  session: SessionRecord,
  kv: { poolId: string; kvWarm: boolean; kvBytes: number },
): SessionRecord {
  return { ...session, poolId: kv.poolId, kvWarm: kv.kvWarm, kvBytes: kv.kvWarm ? kv.kvBytes : 0 };
}

/** The pool holding the session's KV is gone: KV never migrates (SPEC 4), so it is cold now. */
export function coolKv(session: SessionRecord): SessionRecord {
  return { ...session, kvWarm: false, kvBytes: 0 };
}

/**
 * A stored session as a restarted control plane resumes it: turns and spent budgets carry over;
 * KV and the holds of tasks that were running do not (no task outlives its control plane, and a
 * task that never settled is charged nothing).
 */
export function resumeSession(session: SessionRecord): SessionRecord {
  return { ...coolKv(session), budget: releaseAll(session.budget) };
}

/** The public view (SPEC 4 SessionInfo): TTL left, turns, KV, and only the limited budgets. */
export interface SessionView {
  sessionId: string;
  ttlMsRemaining: number;
  turns: number;
  maxTurns: number;
  kvBytes: number;
  kvWarmth: boolean;
  poolId?: string;
  tokensBudgetRemaining?: number;
  timeBudgetRemainingMs?: number;
  costBudgetRemaining?: number;
}

export function describeSession(session: SessionRecord, nowMs: number): SessionView {
  const left = remaining(session.budget);
  const view: SessionView = {
    sessionId: session.sessionId,
    ttlMsRemaining: ttlRemaining(session, nowMs),
    turns: session.turns,
    maxTurns: session.maxTurns,
    kvBytes: session.kvBytes,
    kvWarmth: session.kvWarm,
  };
  if (session.poolId !== undefined) view.poolId = session.poolId;
  if (left.tokens !== undefined) view.tokensBudgetRemaining = left.tokens;
  if (left.timeMs !== undefined) view.timeBudgetRemainingMs = left.timeMs;
  if (left.cost !== undefined) view.costBudgetRemaining = left.cost;
  return view;
}
