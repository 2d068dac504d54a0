// Sessions as the control plane keeps them: an in-memory map that is the authority while the
// process runs, written through to LevelDB so a restart keeps every session and its budgets.
import type { SessionStore } from "../store/session-store.js";
import { type Reservation, release, reserve, settle } from "./budgets.js";
import {
  admitTurn,
  coolKv,
  describeSession,
  isExpired,
  noteKv,
  resolveSession,
  resumeSession,
  type SessionPolicy,
  type SessionRecord,
  type SessionView,
} from "./sessions-policy.js";
import type { BudgetLimits } from "./types.js";

/** A task's hold on its session, computed but not yet committed. */
export interface SessionClaim {
  next: SessionRecord;
  reservation: Reservation;
}

export class SessionService {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly store: SessionStore<SessionRecord>;
  private readonly policy: SessionPolicy;
  private readonly defaultBudgets: BudgetLimits;

  constructor(
    store: SessionStore<SessionRecord>,
    policy: SessionPolicy,
    defaultBudgets: BudgetLimits,
  ) {
    this.store = store;
    this.policy = policy;
    this.defaultBudgets = defaultBudgets;
  }

  /** Loads the persisted sessions (a restarted control plane keeps them). */
  async load(nowMs: number): Promise<void> {
    for (const record of await this.store.list()) {
      if (isExpired(record, nowMs)) await this.store.delete(record.sessionId);
      else this.sessions.set(record.sessionId, resumeSession(record));
    }
  }

  /**
   * Resolves the session (an expired one starts over), counts a turn and reserves the task's
   * budgets. Pure with respect to the map: commit() applies it. Throws SESSION_TURNS_EXCEEDED or
   * BUDGET_EXCEEDED. Call commit() in the same synchronous stretch so no other admission
   * interleaves: that is what makes the reservation atomic.
   */
  claim(
    sessionId: string,
    budgets: BudgetLimits | undefined,
    hold: { tokens: number; timeMs: number },
    nowMs: number,
  ) {
    const limits = budgets ?? this.defaultBudgets;
    const { session } = resolveSession(
      this.sessions.get(sessionId),
      sessionId,
      nowMs,
      this.policy,
      limits,
    );
    const turned = admitTurn(session, nowMs);
    const { state, reservation } = reserve(turned.budget, hold);
    return { next: { ...turned, budget: state }, reservation } satisfies SessionClaim;
  }

  commit(claim: SessionClaim): Promise<void> {
    this.sessions.set(claim.next.sessionId, claim.next);
    return this.store.put(claim.next);
  }

  /** Charges what the task used and records where its KV now lives. */
  settle(
    sessionId: string,
    reservation: Reservation,
    used: { tokens: number; timeMs: number },
    kv: { poolId: string; kvWarm: boolean; kvBytes: number } | undefined,
  ): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return Promise.resolve();
    let next: SessionRecord = { ...session, budget: settle(session.budget, reservation, used) };
    if (kv) next = noteKv(next, kv);
    this.sessions.set(sessionId, next);
    return this.store.put(next);
  }

  /** Gives back a reservation of a task that never ran. */
  release(sessionId: string, reservation: Reservation): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return Promise.resolve();
    const next = { ...session, budget: release(session.budget, reservation) };
    this.sessions.set(sessionId, next);
    return this.store.put(next);
  }

  /** The public view; undefined for an unknown or expired session (expired ones are evicted). */
  async view(sessionId: string, nowMs: number): Promise<SessionView | undefined> {
    const session = this.sessions.get(sessionId);
    if (!session) return undefined;
    if (isExpired(session, nowMs)) {
      await this.delete(sessionId);
      return undefined;
    }
    return describeSession(session, nowMs);
  }

  async delete(sessionId: string): Promise<boolean> {
    const existed = this.sessions.delete(sessionId);
    await this.store.delete(sessionId);
    return existed;
  }

  /** Live sessions' public views, most recently used first, at most `limit`. */
  recent(nowMs: number, limit: number): SessionView[] {
    return [...this.sessions.values()]
      .filter((s) => !isExpired(s, nowMs))
      .sort((a, b) => b.lastUsedMs - a.lastUsedMs)
      .slice(0, limit)
      .map((s) => describeSession(s, nowMs));
  }

  get(sessionId: string): SessionRecord | undefined {
    return this.sessions.get(sessionId);
  }

  /** Sessions whose KV is warm on `poolId`, for placement's session affinity. */
  warmOn(poolId: string): string[] {
    const warm: string[] = [];
    for (const s of this.sessions.values())
      if (s.kvWarm && s.poolId === poolId) warm.push(s.sessionId);
    return warm;
  }

  /** The pool's worker restarted or changed model: its sessions' KV is gone. */
  coolPool(poolId: string): void {
    for (const [id, s] of this.sessions) {
      if (s.poolId === poolId && s.kvWarm) this.sessions.set(id, coolKv(s));
    }
  }
}
