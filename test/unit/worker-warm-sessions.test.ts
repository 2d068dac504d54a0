// The warm-session mirror follows the engine's parking rules: one session per slot, LRU, none on error.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WarmSessions } from "../../src/worker/warm-sessions.js";

describe("WarmSessions", () => {
  it("keeps the most recent sessions up to the slot count and drops failed ones", () => {
    const warm = new WarmSessions(2);
    warm.ended("a", "stop");
    warm.ended("b", "length");
    warm.ended("", "stop");
    warm.ended("a", "cancelled");
    warm.ended("c", "stop");
    assert.deepEqual(warm.list(), ["a", "c"]);
    warm.ended("c", "error");
    assert.deepEqual(warm.list(), ["a"]);
  });
});
