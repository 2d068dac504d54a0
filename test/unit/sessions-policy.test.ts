// Session lifecycle: defaults, sliding TTL, the turn limit, KV warmth and the public view (SPEC 4).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { reserve, settle } from "../../src/control/budgets.js";
import {
  admitTurn,
  coolKv,
  createSession,
  describeSession,
  isExpired,
  noteKv,
  resolveSession,
  resumeSession,
  type SessionRecord,
  ttlRemaining,
} from "../../src/control/sessions-policy.js";

const ID = "11111111-1111-1111-1111-111111111111";
const T0 = 1_000_000;

describe("session defaults (DESIGN decision 8)", () => {
  test("a new session: 600000 ms TTL, 8 turns, no turns taken, cold KV, unlimited budgets", () => {
    const s = createSession(ID, T0);
    assert.deepEqual(describeSession(s, T0), {
      sessionId: ID,
      ttlMsRemaining: 600_000,
      turns: 0,
      maxTurns: 8,
      kvBytes: 0,
      kvWarmth: false,
    });
  });

  test("policy and budgets come from the deployment", () => {
    const s = createSession(ID, T0, { ttlMs: 1000, maxTurns: 2 }, { tokens: 50, cost: 1 });
    const view = describeSession(s, T0 + 400);
    assert.equal(view.ttlMsRemaining, 600);
    assert.equal(view.maxTurns, 2);
    assert.equal(view.tokensBudgetRemaining, 50);
    assert.equal(view.costBudgetRemaining, 1);
    assert.equal(view.timeBudgetRemainingMs, undefined, "an unlimited budget is not reported");
  });

  test("the view's budgets count what running tasks hold", () => {
    const s = createSession(ID, T0, undefined, { tokens: 50 });
    const held = { ...s, budget: reserve(s.budget, { tokens: 20, timeMs: 0 }).state };
    assert.equal(describeSession(held, T0).tokensBudgetRemaining, 30);
  });
});

describe("TTL", () => {
  const s = createSession(ID, T0, { ttlMs: 1000, maxTurns: 8 });
  const cases: [number, number, boolean][] = [
    [T0, 1000, false],
    [T0 + 999, 1, false],
    [T0 + 1000, 0, true],
    [T0 + 5000, 0, true],
  ];
  for (const [now, left, expired] of cases) {
    test(`at +${now - T0} ms: ${left} ms left, expired ${expired}`, () => {
      assert.equal(ttlRemaining(s, now), left);
      assert.equal(isExpired(s, now), expired);
    });
  }

  test("each admitted turn restarts the TTL (it counts idle time)", () => {
    const used = admitTurn(s, T0 + 900);
    assert.equal(isExpired(used, T0 + 1500), false);
    assert.equal(ttlRemaining(used, T0 + 1500), 400);
  });

  test("resolveSession keeps a live session and replaces an expired or missing one", () => {
    const live = admitTurn(s, T0 + 10);
    assert.deepEqual(resolveSession(live, ID, T0 + 500), { session: live, created: false });
    const replaced = resolveSession(live, ID, T0 + 5000);
    assert.equal(replaced.created, true);
    assert.equal(replaced.session.turns, 0);
    assert.equal(replaced.session.createdMs, T0 + 5000);
    const created = resolveSession(undefined, ID, T0, { ttlMs: 10, maxTurns: 1 }, { tokens: 5 });
    assert.equal(created.created, true);
    assert.equal(created.session.maxTurns, 1);
    assert.equal(created.session.budget.limits.tokens, 5);
  });
});

describe("turn limit", () => {
  test("8 turns are admitted; the 9th is SESSION_TURNS_EXCEEDED", () => {
    let s: SessionRecord = createSession(ID, T0);
    for (let turn = 1; turn <= 8; turn++) {
      s = admitTurn(s, T0 + turn);
      assert.equal(s.turns, turn);
    }
    assert.throws(
      () => admitTurn(s, T0 + 9),
      (e: unknown) =>
        e instanceof OrchError &&
        e.code === "SESSION_TURNS_EXCEEDED" &&
        /used all 8 turns; start a new session/.test(e.message),
    );
  });

  test("a configured limit applies", () => {
    const s = admitTurn(createSession(ID, T0, { ttlMs: 1000, maxTurns: 1 }), T0);
    assert.throws(() => admitTurn(s, T0), OrchError);
  });

  test("admitTurn leaves the stored record as it was (a refused task takes no turn)", () => {
    const s = createSession(ID, T0);
    admitTurn(s, T0 + 5);
    assert.equal(s.turns, 0);
    assert.equal(s.lastUsedMs, T0);
  });
});

describe("KV warmth", () => {
  test("noteKv records where the session's KV is warm; coolKv forgets it", () => {
    const warm = noteKv(createSession(ID, T0), { poolId: "gpu-0", kvWarm: true, kvBytes: 4096 });
    assert.deepEqual(
      [warm.poolId, warm.kvWarm, warm.kvBytes, describeSession(warm, T0).kvWarmth],
      ["gpu-0", true, 4096, true],
    );
    const cold = coolKv(warm);
    assert.deepEqual([cold.kvWarm, cold.kvBytes], [false, 0]);
    assert.equal(noteKv(warm, { poolId: "gpu-1", kvWarm: false, kvBytes: 4096 }).kvBytes, 0);
  });
});

describe("resume after a control-plane restart", () => {
  test("turns and spent budgets carry over; KV and running tasks' holds do not", () => {
    let session = noteKv(admitTurn(createSession(ID, T0, undefined, { tokens: 100 }), T0), {
      poolId: "gpu-0",
      kvWarm: true,
      kvBytes: 4096,
    });
    const settled = reserve(session.budget, { tokens: 10, timeMs: 0 });
    session = {
      ...session,
      budget: settle(settled.state, settled.reservation, { tokens: 7, timeMs: 0 }),
    };
    session = { ...session, budget: reserve(session.budget, { tokens: 50, timeMs: 0 }).state };
    assert.equal(describeSession(session, T0).tokensBudgetRemaining, 43);
    const resumed = resumeSession(session);
    const view = describeSession(resumed, T0);
    assert.deepEqual(
      [view.turns, view.tokensBudgetRemaining, view.kvWarmth, resumed.budget.spent.tokens],
      [1, 93, false, 7],
    );
  });
});
