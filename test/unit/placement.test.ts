// Placement (DESIGN decision 5): each filter and each ordering key in turn.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decidePlacement,
  estimateKvBytes,
  type FilterReason,
  type TieBreaker,
} from "../../src/control/placement.js";
import type { PlacementOverrides, PoolSnapshot } from "../../src/control/types.js";
import { assigned, GiB, job, pool, SESSION } from "../support/placement-fixtures.js";

describe("filters", () => {
  // Pool "a" would win on pool_id; each case disqualifies it and "b" must be chosen.
  const cases: [FilterReason, Partial<PoolSnapshot>, Partial<PlacementOverrides>][] = [
    ["not_ready", { ready: false }, {}],
    ["draining", { draining: true }, {}],
    ["model_mismatch", { modelRef: "m:other" }, {}],
    ["workload_mismatch", { embeddings: true }, {}],
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

  test("OAI-041: an embedding task goes only to an embeddings pool, and is refused without one", () => {
    const pools = [pool("a"), pool("b", { embeddings: true }), pool("c")];
    const decision = decidePlacement(job({}, { workload: "embedding" }), pools);
    assert.equal(assigned(decision), "b");
    assert.deepEqual(
      decision.log.filtered.map((f) => [f.poolId, f.reason]),
      [
        ["a", "workload_mismatch"],
        ["c", "workload_mismatch"],
      ],
    );
    const none = decidePlacement(job({}, { workload: "embedding" }), [pool("a")]);
    assert.equal(none.kind, "no_capacity");
  });

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
      "prefix_cache",
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
