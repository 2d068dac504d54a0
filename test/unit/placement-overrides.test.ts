// Placement overrides (pin, prefer), refusals and determinism.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { OrchError } from "../../src/common/errors.js";
import { decidePlacement, noCapacityError } from "../../src/control/placement.js";
import type { PoolSnapshot } from "../../src/control/types.js";
import { assigned, GiB, job, pool, refused, SESSION } from "../support/placement-fixtures.js";

describe("pin (DESIGN decision 5)", () => {
  test("the pinned pool is used even when another would rank higher", () => {
    const pools = [pool("a"), pool("b", { activeLeases: 3 })];
    const decision = decidePlacement(job({ mode: "pin", pinPoolId: "b" }), pools);
    assert.equal(assigned(decision), "b");
    assert.equal(decision.log.pinned, true);
  });

  const refusals: [string, PoolSnapshot[], string, RegExp][] = [
    [
      "an unknown pool is INVALID_PARAMS",
      [pool("a")],
      "INVALID_PARAMS",
      /"zz" names no pool; known pools: a/,
    ],
    [
      "an unready pool is POOL_UNREADY",
      [pool("a"), pool("zz", { ready: false })],
      "POOL_UNREADY",
      /zz: not ready/,
    ],
    [
      "a draining pool is POOL_UNREADY",
      [pool("a"), pool("zz", { draining: true })],
      "POOL_UNREADY",
      /zz: draining/,
    ],
    [
      "a pool serving another model is INVALID_PARAMS",
      [pool("a"), pool("zz", { modelRef: "m:x" })],
      "INVALID_PARAMS",
      /zz: serves m:x, not m:7b/,
    ],
  ];
  for (const [name, pools, code, message] of refusals) {
    test(`${name}, with no fallback even when allowed`, () => {
      const decision = refused(decidePlacement(job({ mode: "pin", pinPoolId: "zz" }), pools));
      assert.equal(decision.code, code);
      assert.match(decision.message, message);
      assert.equal(decision.log.selected, undefined);
    });
  }
});

describe("prefer", () => {
  const pools = [pool("a"), pool("b", { activeLeases: 3 }), pool("c", { ready: false })];

  test("a feasible preferred pool wins over better others, which are logged not_preferred", () => {
    const decision = decidePlacement(job({ mode: "prefer", preferPools: ["b", "c"] }), pools);
    assert.equal(assigned(decision), "b");
    assert.deepEqual(decision.log.filtered.at(-1), {
      poolId: "a",
      reason: "not_preferred",
      detail: "not preferred",
    });
    assert.equal(decision.log.fallbackUsed, false);
  });

  test("with no preferred pool feasible it falls back, and says so", () => {
    const decision = decidePlacement(job({ mode: "prefer", preferPools: ["c"] }), pools);
    assert.equal(assigned(decision), "a");
    assert.equal(decision.log.fallbackUsed, true);
  });

  test("without fallback it refuses: POOL_UNREADY while the preferred pool is down", () => {
    const overrides = { mode: "prefer" as const, preferPools: ["c"], allowFallback: false };
    const decision = refused(decidePlacement(job(overrides), pools));
    assert.deepEqual([decision.code, decision.reason], ["POOL_UNREADY", "no_preferred_feasible"]);
  });

  test("without fallback, preferring only unknown pools is INVALID_PARAMS", () => {
    const overrides = { mode: "prefer" as const, preferPools: ["x"], allowFallback: false };
    const decision = refused(decidePlacement(job(overrides), pools));
    assert.equal(decision.code, "INVALID_PARAMS");
    assert.match(decision.message, /none of placement.prefer_pools \(x\) is a known pool/);
  });
});

describe("no feasible pool", () => {
  const cases: [string, PoolSnapshot[], string, RegExp][] = [
    ["no pools at all", [], "POOL_UNREADY", /no pool serves model m:7b/],
    [
      "no pool serves the model",
      [pool("a", { modelRef: "m:x" })],
      "POOL_UNREADY",
      /no pool serves/,
    ],
    [
      "every pool for the model is down",
      [pool("a", { ready: false }), pool("b", { modelRef: "m:x" })],
      "POOL_UNREADY",
      /a: not ready; retry/,
    ],
    [
      "every pool's context is too small",
      [pool("a", { ctxMax: 1024 })],
      "INVALID_PARAMS",
      /a: ctx 2048 > pool ctx 1024/,
    ],
  ];
  for (const [name, pools, code, message] of cases) {
    test(`${name}: ${code}`, () => {
      const decision = refused(decidePlacement(job(), pools));
      assert.equal(decision.code, code);
      assert.equal(decision.reason, "no_feasible_pool");
      assert.match(decision.message, message);
      const error = noCapacityError(decision, 1000);
      assert.ok(error instanceof OrchError);
      assert.deepEqual([error.code, error.retryAfterMs], [code, 1000]);
    });
  }

  test("a pool whose worker has not registered yet is POOL_UNREADY, not a bad ctx", () => {
    const starting = pool("a", { ready: false, ctxMax: 0, slotsTotal: 0, deviceMask: undefined });
    const decision = refused(decidePlacement(job({ requireDeviceMask: "0" }), [starting]));
    assert.equal(decision.code, "POOL_UNREADY");
    assert.equal(decision.log.filtered[0]?.reason, "not_ready");
  });
});

describe("determinism (ORCH-3905)", () => {
  test("the same pools in any order give the same decision and the same log", () => {
    const poolArb = fc.record({
      poolId: fc.constantFrom("a", "b", "c", "d", "e"),
      ready: fc.boolean(),
      activeLeases: fc.nat(4),
      queueDepth: fc.nat(4),
      vramGiB: fc.option(fc.nat(24), { nil: undefined }),
      tps: fc.nat(3).map((n) => n * 50),
      warm: fc.boolean(),
    });
    const pools = fc
      .uniqueArray(poolArb, { selector: (p) => p.poolId, maxLength: 5 })
      .map((specs) =>
        specs.map((s) =>
          pool(s.poolId, {
            ready: s.ready,
            activeLeases: s.activeLeases,
            queueDepth: s.queueDepth,
            vramFreeBytes: s.vramGiB === undefined ? undefined : s.vramGiB * GiB,
            decodeTokensPerSecond: s.tps,
            warmSessions: s.warm ? [SESSION] : [],
          }),
        ),
      );
    fc.assert(
      fc.property(
        pools.chain((ps) =>
          fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length })),
        ),
        ([ordered, shuffled]) => {
          const first = decidePlacement(job({}, { estKvBytes: GiB }), ordered);
          assert.deepEqual(decidePlacement(job({}, { estKvBytes: GiB }), shuffled), first);
          assert.deepEqual(decidePlacement(job({}, { estKvBytes: GiB }), ordered), first);
        },
      ),
    );
  });
});
