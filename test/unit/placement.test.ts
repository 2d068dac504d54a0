// Placement (DESIGN decision 5): each filter, each ordering key in turn, overrides, determinism.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { OrchError } from "../../src/common/errors.js";
import {
  decidePlacement,
  estimateKvBytes,
  type FilterReason,
  noCapacityError,
  type PlacementDecision,
  type PlacementJob,
  type TieBreaker,
} from "../../src/control/placement.js";
import type { PlacementOverrides, PoolSnapshot } from "../../src/control/types.js";

const GiB = 1024 ** 3;
const SESSION = "11111111-1111-1111-1111-111111111111";

function pool(poolId: string, over: Partial<PoolSnapshot> = {}): PoolSnapshot {
  return {
    poolId,
    ready: true,
    draining: false,
    modelRef: "m:7b",
    engine: "llamacpp",
    engineVersion: "b1",
    ctxMax: 4096,
    slotsTotal: 4,
    activeLeases: 0,
    queueDepth: 0,
    vramFreeBytes: 10 * GiB,
    vramTotalBytes: 12 * GiB,
    deviceMask: "0",
    decodeTokensPerSecond: 100,
    warmSessions: [],
    ...over,
  };
}

function job(placement: Partial<PlacementOverrides> = {}, over: Partial<PlacementJob> = {}) {
  return {
    taskId: "t1",
    modelRef: "m:7b",
    ctx: 2048,
    sessionId: SESSION,
    placement: { mode: "auto", preferPools: [], avoidPools: [], allowFallback: true, ...placement },
    ...over,
  } satisfies PlacementJob;
}

function assigned(decision: PlacementDecision): string {
  assert.equal(decision.kind, "assigned", JSON.stringify(decision));
  return decision.kind === "assigned" ? decision.poolId : "";
}

function refused(decision: PlacementDecision) {
  assert.equal(decision.kind, "no_capacity", JSON.stringify(decision));
  if (decision.kind !== "no_capacity") throw new Error("unreachable");
  return decision;
}

describe("filters", () => {
  // Pool "a" would win on pool_id; each case disqualifies it and "b" must be chosen.
  const cases: [FilterReason, Partial<PoolSnapshot>, Partial<PlacementOverrides>][] = [
    ["not_ready", { ready: false }, {}],
    ["draining", { draining: true }, {}],
    ["model_mismatch", { modelRef: "m:other" }, {}],
    ["ctx_too_small", { ctxMax: 1024 }, {}],
    ["device_mask_mismatch", { deviceMask: "1" }, { requireDeviceMask: "0" }],
    ["avoided", {}, { avoidPools: ["a"] }],
    ["not_pinned", {}, { mode: "pin", pinPoolId: "b" }],
  ];
  for (const [reason, poolOver, placement] of cases) {
    test(`${reason} excludes the pool and logs why`, () => {
      const decision = decidePlacement(job(placement), [pool("a", poolOver), pool("b")]);
      assert.equal(assigned(decision), "b");
      assert.deepEqual(
        decision.log.filtered.map((f) => [f.poolId, f.reason]),
        [["a", reason]],
      );
      assert.equal(decision.log.selected, "b");
    });
  }

  test("a required device mask matches exactly, never a superset", () => {
    const pools = [pool("a", { deviceMask: "0,1" }), pool("b", { deviceMask: "1" })];
    assert.equal(assigned(decidePlacement(job({ requireDeviceMask: "1" }), pools)), "b");
  });
});

describe("ordering keys, in order", () => {
  const warm = { warmSessions: [SESSION] };
  // Each case: "b" wins through the named key although every earlier key ties, and (where there
  // is one) "a" is better on every later key.
  const cases: [TieBreaker, Partial<PoolSnapshot>, Partial<PoolSnapshot>][] = [
    ["session_affinity", { activeLeases: 0 }, { ...warm, activeLeases: 3, queueDepth: 2 }],
    // 2 of 8 slots busy is less loaded than 1 of 2, although 2 > 1.
    [
      "least_loaded",
      { slotsTotal: 2, activeLeases: 1, vramFreeBytes: 20 * GiB },
      { slotsTotal: 8, activeLeases: 2 },
    ],
    [
      "most_free_vram",
      { vramFreeBytes: 4 * GiB, decodeTokensPerSecond: 500 },
      { vramFreeBytes: 8 * GiB },
    ],
    ["fastest_decode", { decodeTokensPerSecond: 50 }, { decodeTokensPerSecond: 80 }],
  ];
  for (const [key, a, b] of cases) {
    test(`${key} decides when earlier keys tie`, () => {
      const decision = decidePlacement(job(), [pool("a", a), pool("b", b)]);
      assert.equal(assigned(decision), "b");
      assert.equal(decision.log.tieBreakers.at(-1), key);
      assert.deepEqual(decision.log.ranking, ["b", "a"]);
    });
  }

  test("pool_id decides last, in code-unit order", () => {
    const decision = decidePlacement(job(), [pool("gpu-b"), pool("gpu-a"), pool("Gpu-c")]);
    assert.equal(assigned(decision), "Gpu-c");
    assert.deepEqual(decision.log.tieBreakers, [
      "session_affinity",
      "least_loaded",
      "most_free_vram",
      "fastest_decode",
      "pool_id",
    ]);
  });

  test("queued tasks count as load", () => {
    const pools = [pool("a", { queueDepth: 3 }), pool("b", { activeLeases: 2 })];
    assert.equal(assigned(decidePlacement(job(), pools)), "b");
  });

  test("a CPU pool (no VRAM figure) ranks after a GPU pool on the VRAM key", () => {
    const pools = [pool("a-cpu", { vramFreeBytes: undefined }), pool("b-gpu")];
    assert.equal(assigned(decidePlacement(job(), pools)), "b-gpu");
  });

  test("a single feasible pool needs no tie-breaker", () => {
    const decision = decidePlacement(job(), [pool("a")]);
    assert.deepEqual(decision.log.tieBreakers, []);
  });
});

describe("two GPUs: 24 GB and 12 GB (HME-010)", () => {
  // A 7B-like model, f16 KV: 32 layers x 8 KV heads x 128 dims x 2 (K, V) x 2 bytes per token.
  const kv = estimateKvBytes(4096, { layers: 32, kvHeads: 8, headDim: 128, bytesPerElement: 2 });
  const gpu24 = (free: number) =>
    pool("gpu-3090", { deviceMask: "0", vramTotalBytes: 24 * GiB, vramFreeBytes: free });
  const gpu12 = (free: number) =>
    pool("gpu-3060", { deviceMask: "1", vramTotalBytes: 12 * GiB, vramFreeBytes: free });

  test("the KV estimate follows the model's dimensions", () => {
    assert.equal(kv, 512 * 1024 ** 2);
    assert.equal(estimateKvBytes(10, 1000), 10_000);
  });

  test("idle pools: the one with more VRAM left after the KV estimate", () => {
    const decision = decidePlacement(job({}, { estKvBytes: kv }), [
      gpu12(10 * GiB),
      gpu24(20 * GiB),
    ]);
    assert.equal(assigned(decision), "gpu-3090");
  });

  test("a 24 GB card with less free memory loses to the 12 GB card", () => {
    const decision = decidePlacement(job({}, { estKvBytes: kv }), [
      gpu12(10 * GiB),
      gpu24(3 * GiB),
    ]);
    assert.equal(assigned(decision), "gpu-3060");
  });

  test("no manual pinning is needed for either card to take work", () => {
    const busy24 = { ...gpu24(20 * GiB), activeLeases: 2 };
    assert.equal(assigned(decidePlacement(job(), [gpu12(10 * GiB), busy24])), "gpu-3060");
  });
});

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
