// Placement's prefix-cache term and the prefix index behind it: pure, table-tested.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decidePlacement } from "../../src/control/placement.js";
import { blockHashes, PrefixIndex } from "../../src/control/prefix-index.js";
import type { PoolSnapshot } from "../../src/control/types.js";
import { assigned, job, pool, SESSION } from "../support/placement-fixtures.js";

describe("prefix_cache ordering key", () => {
  // Each case: pool loads, expected cached tokens per pool, the winner and the deciding key.
  const cases: [
    string,
    Partial<PoolSnapshot>,
    Partial<PoolSnapshot>,
    number,
    number,
    string,
    string,
  ][] = [
    ["more cache wins at equal load", {}, {}, 0, 800, "b", "prefix_cache"],
    [
      "more cache wins while it has an idle slot",
      {},
      { activeLeases: 3 },
      0,
      800,
      "b",
      "prefix_cache",
    ],
    [
      "no idle slot and more load: load decides",
      {},
      { activeLeases: 4 },
      0,
      800,
      "a",
      "least_loaded",
    ],
    [
      "more cache and less load",
      { activeLeases: 2 },
      { activeLeases: 1 },
      100,
      800,
      "b",
      "prefix_cache",
    ],
    ["equal cache: load decides", { activeLeases: 1 }, {}, 500, 500, "b", "least_loaded"],
  ];
  for (const [name, a, b, cachedA, cachedB, winner, key] of cases) {
    test(name, () => {
      const expectedCachedTokens = { a: cachedA, b: cachedB };
      const decision = decidePlacement(job({}, { expectedCachedTokens }), [
        pool("a", a),
        pool("b", b),
      ]);
      assert.equal(assigned(decision), winner);
      assert.equal(decision.log.tieBreakers.at(-1), key);
    });
  }

  test("a warm session still wins over a longer cached prefix elsewhere", () => {
    const pools = [pool("a", { warmSessions: [SESSION] }), pool("b")];
    const decision = decidePlacement(job({}, { expectedCachedTokens: { b: 2000 } }), pools);
    assert.equal(assigned(decision), "a");
    assert.deepEqual(decision.log.tieBreakers, ["session_affinity"]);
  });
});

describe("prefix index", () => {
  const system = "You are a careful coding agent. ".repeat(40); // 1280 bytes: 5 blocks of 256
  const key = (prompt: string, cacheSalt = "id:alice") => ({
    cacheSalt,
    prompt,
    promptTokens: Buffer.byteLength(prompt) / 4,
  });

  test("a prompt sharing the system prompt is expected cached where it was served", () => {
    const index = new PrefixIndex();
    index.record(key(`${system}first question`), "gpu-a");
    const expected = index.expectedCachedTokens(key(`${system}second question, a longer one`));
    assert.deepEqual(Object.keys(expected), ["gpu-a"]);
    assert.equal(expected["gpu-a"], (5 * 256) / 4);
  });

  test("another tenant's equal prompt matches nothing", () => {
    const index = new PrefixIndex();
    index.record(key(system), "gpu-a");
    assert.deepEqual(index.expectedCachedTokens(key(system, "id:bob")), {});
    assert.notDeepEqual(blockHashes(key(system)), blockHashes(key(system, "id:bob")));
  });

  test("the pool holding the longer prefix expects more; a differing early block stops the match", () => {
    const index = new PrefixIndex();
    index.record(key(system.slice(0, 600)), "gpu-a");
    index.record(key(system), "gpu-b");
    const expected = index.expectedCachedTokens(key(system));
    assert.ok((expected["gpu-b"] ?? 0) > (expected["gpu-a"] ?? 0));
    assert.deepEqual(index.expectedCachedTokens(key(`X${system.slice(1)}`)), {});
  });

  test("bounded: the least recently used blocks go first; a forgotten pool matches nothing", () => {
    const index = new PrefixIndex(5);
    index.record(key(system), "gpu-a");
    index.record(key("z".repeat(512)), "gpu-b");
    assert.equal(index.expectedCachedTokens(key(system))["gpu-a"], undefined);
    index.record(key(system), "gpu-a");
    index.forgetPool("gpu-a");
    assert.deepEqual(index.expectedCachedTokens(key(system)), {});
  });
});
