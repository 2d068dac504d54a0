// The status page's prefix-cache hit ratio: cached prompt tokens over prompt tokens of a pool's ended tasks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prefixCacheHitRatio } from "../../src/control/status-snapshot.js";
import type { TaskEntry } from "../../src/control/task-hub.js";
import { End } from "../../src/gen/llama_orch/v1/common.js";

function ended(poolId: string, tokensIn: number, cachedTokens: number): TaskEntry {
  const end = End.fromPartial({ tokensIn, cachedTokens, tokensOut: 4 });
  return { poolId, events: [{ event: { $case: "end", value: end } }] } as unknown as TaskEntry;
}

function running(poolId: string): TaskEntry {
  return { poolId, events: [] } as unknown as TaskEntry;
}

describe("prefix-cache hit ratio on the status page", () => {
  it("is the pool's cached prompt tokens over its prompt tokens, other pools and running tasks aside", () => {
    const entries = [ended("a", 100, 0), ended("a", 300, 280), ended("b", 50, 50), running("a")];
    assert.equal(prefixCacheHitRatio(entries, "a"), 280 / 400);
    assert.equal(prefixCacheHitRatio(entries, "b"), 1);
  });

  it("is unknown (shown as a dash) until a task of the pool ended with a prompt", () => {
    assert.equal(prefixCacheHitRatio([running("a"), ended("b", 10, 5)], "a"), undefined);
  });
});
