// Session budgets: reserve at admission, settle at completion; concurrent tasks cannot overspend.
//
// Every function is pure and synchronous: the session service applies reserve() to the session's
// current state and stores the result before it yields, so two concurrent admissions see each
// other's reservations (DESIGN decision 8).
import { OrchError } from "../common/errors.js";
import type { BudgetLimits } from "./types.js";

/** SPEC 4's placeholder price of one generated token, in cost units. */
export const DEFAULT_COST_PER_TOKEN = 0.000002;

export interface BudgetAmounts {
  tokens: number;
  timeMs: number;
  cost: number;
}

/** A session's budgets: limits (absent = unlimited), what finished tasks spent, what is held. */
export interface SessionBudgetState {
  limits: BudgetLimits;
  spent: BudgetAmounts;
  reserved: BudgetAmounts;
}

/** What one admitted task holds until it settles; settle or release it exactly once. */
export type Reservation = Readonly<BudgetAmounts>;

/** What a task may use at most: max_tokens, and the decode time it may take (e.g. its deadline). */
export interface ReservationRequest {
  tokens: number;
  timeMs: number;
  /** Defaults to tokens * costPerToken. */
  cost?: number;
}

const ZERO: BudgetAmounts = { tokens: 0, timeMs: 0, cost: 0 };

// Costs are sums of tiny fractions: round so that reserve-then-release returns to exactly zero.
function roundCost(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

function add(a: BudgetAmounts, b: BudgetAmounts, sign: 1 | -1): BudgetAmounts {
  return {
    tokens: Math.max(0, a.tokens + sign * b.tokens),
    timeMs: Math.max(0, a.timeMs + sign * b.timeMs),
    cost: Math.max(0, roundCost(a.cost + sign * b.cost)),
  };
}

/** A fresh state with nothing spent or held. */
export function newBudgetState(limits: BudgetLimits = {}): SessionBudgetState {
  return { limits: { ...limits }, spent: { ...ZERO }, reserved: { ...ZERO } };
}

/** What a new task may still take of each limited budget; absent members are unlimited. */
export function remaining(state: SessionBudgetState): BudgetLimits {
  const out: BudgetLimits = {};
  const { limits, spent, reserved } = state;
  if (limits.tokens !== undefined) {
    out.tokens = Math.max(0, limits.tokens - spent.tokens - reserved.tokens);
  }
  if (limits.timeMs !== undefined) {
    out.timeMs = Math.max(0, limits.timeMs - spent.timeMs - reserved.timeMs);
  }
  if (limits.cost !== undefined) {
    out.cost = Math.max(0, roundCost(limits.cost - spent.cost - reserved.cost));
  }
  return out;
}

const LABELS: Record<keyof BudgetAmounts, { name: string; unit: string; advice: string }> = {
  tokens: { name: "token", unit: " tokens", advice: "lower max_tokens" },
  timeMs: { name: "time", unit: " ms", advice: "lower deadline_ms or max_tokens" },
  cost: { name: "cost", unit: "", advice: "lower max_tokens" },
};

/**
 * Holds `request` against the session's budgets, or throws BUDGET_EXCEEDED naming the budget,
 * what was asked and what is left. Returns the new state and the reservation to settle later.
 */
export function reserve(
  state: SessionBudgetState,
  request: ReservationRequest,
  costPerToken = DEFAULT_COST_PER_TOKEN,
): { state: SessionBudgetState; reservation: Reservation } {
  const reservation: Reservation = {
    tokens: request.tokens,
    timeMs: request.timeMs,
    cost: roundCost(request.cost ?? request.tokens * costPerToken),
  };
  const left = remaining(state);
  for (const key of ["tokens", "timeMs", "cost"] as const) {
    const available = left[key];
    if (available !== undefined && reservation[key] > available) {
      const { name, unit, advice } = LABELS[key];
      throw new OrchError(
        "BUDGET_EXCEEDED",
        `session ${name} budget exceeded: this task needs ${reservation[key]}${unit}, ` +
          `${available}${unit} left of ${state.limits[key]}${unit} (including what running ` +
          `tasks hold); ${advice}, wait for running tasks to finish, or start a new session`,
      );
    }
  }
  return { state: { ...state, reserved: add(state.reserved, reservation, 1) }, reservation };
}

/**
 * Releases a reservation and charges what the task actually used: tokens generated, decode time
 * and tokens * costPerToken. A task may use more time than it reserved; it is charged anyway.
 */
export function settle(
  state: SessionBudgetState,
  reservation: Reservation,
  actual: { tokens: number; timeMs: number },
  costPerToken = DEFAULT_COST_PER_TOKEN,
): SessionBudgetState {
  const charged = { ...actual, cost: roundCost(actual.tokens * costPerToken) };
  return {
    ...state,
    reserved: add(state.reserved, reservation, -1),
    spent: add(state.spent, charged, 1),
  };
}

/** Returns a reservation unused (the task was refused, evicted or cancelled before it ran). */
export function release(state: SessionBudgetState, reservation: Reservation): SessionBudgetState {
  return settle(state, reservation, { tokens: 0, timeMs: 0 });
}

/** Drops every hold: the tasks that held them are gone (they died with a previous process). */
export function releaseAll(state: SessionBudgetState): SessionBudgetState {
  return { ...state, reserved: { ...ZERO } };
}
