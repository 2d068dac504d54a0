// Session budgets: reservations hold budget at admission so concurrent tasks cannot overspend.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { OrchError } from "../../src/common/errors.js";
import {
  newBudgetState,
  type Reservation,
  release,
  remaining,
  reserve,
  type SessionBudgetState,
  settle,
} from "../../src/control/budgets.js";

function budgetError(message: RegExp) {
  return (e: unknown) =>
    e instanceof OrchError && e.code === "BUDGET_EXCEEDED" && message.test(e.message);
}

/** Admits `count` tasks one after another against the same session, as the service would. */
function admitMany(state: SessionBudgetState, count: number, tokens: number) {
  let current = state;
  const held: Reservation[] = [];
  let refused = 0;
  for (let n = 0; n < count; n++) {
    try {
      const r = reserve(current, { tokens, timeMs: 1000 });
      current = r.state;
      held.push(r.reservation);
    } catch (e) {
      if (!(e instanceof OrchError && e.code === "BUDGET_EXCEEDED")) throw e;
      refused++;
    }
  }
  return { state: current, held, refused };
}

describe("reserve (DESIGN decision 8)", () => {
  const limited: [string, SessionBudgetState][] = [
    ["tokens", newBudgetState({ tokens: 300 })],
    ["time", newBudgetState({ timeMs: 3000 })],
    // 100 tokens cost 0.0002 at the default price.
    ["cost", newBudgetState({ cost: 0.0006 })],
  ];
  for (const [name, state] of limited) {
    test(`10 concurrent tasks against a ${name} budget that fits 3: exactly 3 admitted`, () => {
      const { state: after, held, refused } = admitMany(state, 10, 100);
      assert.equal(held.length, 3);
      assert.equal(refused, 7);
      assert.equal(after.reserved.tokens, 300);
      assert.deepEqual(Object.values(remaining(after)), [0]);
    });
  }

  test("without limits nothing is refused and nothing is reported remaining", () => {
    const { held } = admitMany(newBudgetState(), 10, 1_000_000);
    assert.equal(held.length, 10);
    assert.deepEqual(remaining(newBudgetState()), {});
  });

  test("the refusal names the budget, the need and what is left", () => {
    const { state } = admitMany(newBudgetState({ tokens: 250 }), 2, 100);
    assert.throws(
      () => reserve(state, { tokens: 100, timeMs: 0 }),
      budgetError(/token budget exceeded: this task needs 100 tokens, 50 tokens left of 250/),
    );
  });

  test("a refused reservation leaves the stored state untouched", () => {
    const state = newBudgetState({ tokens: 10 });
    const before = structuredClone(state);
    assert.throws(() => reserve(state, { tokens: 11, timeMs: 0 }), budgetError(/token/));
    reserve(state, { tokens: 5, timeMs: 0 });
    assert.deepEqual(state, before);
  });

  test("an explicit cost overrides the per-token price", () => {
    const state = newBudgetState({ cost: 1 });
    assert.throws(() => reserve(state, { tokens: 1, timeMs: 0, cost: 1.5 }), budgetError(/cost/));
    const r = reserve(state, { tokens: 10, timeMs: 0 }, 0.05);
    assert.equal(remaining(r.state).cost, 0.5);
  });
});

describe("settle and release", () => {
  test("settle releases the hold and charges what was used", () => {
    const r = reserve(newBudgetState({ tokens: 100, timeMs: 10_000, cost: 1 }), {
      tokens: 100,
      timeMs: 5000,
    });
    const after = settle(r.state, r.reservation, { tokens: 40, timeMs: 1200 });
    assert.deepEqual(after.reserved, { tokens: 0, timeMs: 0, cost: 0 });
    assert.deepEqual(after.spent, { tokens: 40, timeMs: 1200, cost: 0.00008 });
    assert.deepEqual(remaining(after), { tokens: 60, timeMs: 8800, cost: 0.99992 });
  });

  test("unused budget returns: the task refused 4th fits once one settles short", () => {
    const { state, held } = admitMany(newBudgetState({ tokens: 300 }), 3, 100);
    assert.throws(() => reserve(state, { tokens: 100, timeMs: 0 }), budgetError(/token/));
    const first = held[0] as Reservation;
    const settled = settle(state, first, { tokens: 10, timeMs: 0 });
    assert.doesNotThrow(() => reserve(settled, { tokens: 90, timeMs: 0 }));
  });

  test("time used past the reservation is charged and exhausts the budget", () => {
    const r = reserve(newBudgetState({ timeMs: 1000 }), { tokens: 1, timeMs: 500 });
    const after = settle(r.state, r.reservation, { tokens: 1, timeMs: 1500 });
    assert.equal(remaining(after).timeMs, 0);
    assert.throws(() => reserve(after, { tokens: 1, timeMs: 1 }), budgetError(/time budget/));
  });

  test("settle takes the deployment's price per token", () => {
    const r = reserve(newBudgetState(), { tokens: 10, timeMs: 0 }, 0.5);
    assert.equal(settle(r.state, r.reservation, { tokens: 4, timeMs: 0 }, 0.5).spent.cost, 2);
  });

  test("reserving then releasing any mix of tasks returns the budget exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 30 }), (sizes) => {
        const fresh = newBudgetState({ tokens: 1e9, timeMs: 1e9, cost: 1e3 });
        let state = fresh;
        const held: Reservation[] = [];
        for (const tokens of sizes) {
          const r = reserve(state, { tokens, timeMs: tokens * 3 });
          state = r.state;
          held.push(r.reservation);
        }
        for (const reservation of held.reverse()) state = release(state, reservation);
        assert.deepEqual(state, fresh);
      }),
    );
  });
});
