// The ETA model: start and decode predictions from measured throughput, on-time odds, retry advice.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  FALLBACK_TOKENS_PER_SECOND,
  MAX_RETRY_AFTER_MS,
  MIN_RETRY_AFTER_MS,
  onTimeProbability,
  perSequenceTokensPerSecond,
  predictDecodeMs,
  predictStartMs,
  retryAfterMs,
} from "../../src/control/eta.js";

// 4 slots all busy, 400 tokens/s aggregate: each sequence decodes at 100 tokens/s.
const busy = { slotsTotal: 4, activeLeases: 4, decodeTokensPerSecond: 400 };

describe("predictStartMs (DESIGN decision 7)", () => {
  const cases: [string, Parameters<typeof predictStartMs>[0], number][] = [
    [
      "a free slot starts at once",
      { ...busy, activeLeases: 1, position: 2, avgTaskTokens: 100 },
      0,
    ],
    // 1 completion needed; completions every 100 / (4 * 100) s = 250 ms.
    [
      "first in line on a full pool waits one completion",
      { ...busy, position: 0, avgTaskTokens: 100 },
      250,
    ],
    ["fourth in line waits four completions", { ...busy, position: 3, avgTaskTokens: 100 }, 1000],
    [
      "one free slot, second in line waits one",
      { ...busy, activeLeases: 3, decodeTokensPerSecond: 300, position: 1, avgTaskTokens: 100 },
      250,
    ],
    ["longer tasks ahead, longer wait", { ...busy, position: 0, avgTaskTokens: 400 }, 1000],
    [
      "twice the throughput, half the wait",
      { ...busy, decodeTokensPerSecond: 800, position: 3, avgTaskTokens: 100 },
      500,
    ],
    // Unmeasured: 10 tokens/s per sequence, so a completion every 100 / (4 * 10) s.
    [
      "no measurement yet uses the fallback rate",
      { ...busy, decodeTokensPerSecond: 0, position: 0, avgTaskTokens: 100 },
      2500,
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.equal(predictStartMs(input), expected));
  }

  test("the wait never shrinks as a task moves back in the queue", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 16 }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: 1, max: 4096 }),
        fc.nat(64),
        (slotsTotal, activeLeases, tps, avgTaskTokens, position) => {
          const pool = { slotsTotal, activeLeases, decodeTokensPerSecond: tps, avgTaskTokens };
          const here = predictStartMs({ ...pool, position });
          assert.ok(Number.isInteger(here) && here >= 0);
          assert.ok(predictStartMs({ ...pool, position: position + 1 }) >= here);
        },
      ),
    );
  });
});

describe("per-sequence rate and decode time", () => {
  test("the measured aggregate is shared by the active sequences", () => {
    assert.equal(perSequenceTokensPerSecond(busy), 100);
    assert.equal(perSequenceTokensPerSecond({ ...busy, activeLeases: 0 }), 400);
    assert.equal(
      perSequenceTokensPerSecond({ ...busy, decodeTokensPerSecond: Number.NaN }),
      FALLBACK_TOKENS_PER_SECOND,
    );
  });

  test("decode time is tokens over the per-sequence rate", () => {
    assert.equal(predictDecodeMs(100, busy), 1000);
    assert.equal(predictDecodeMs(100, { ...busy, decodeTokensPerSecond: 0 }), 10_000);
    assert.equal(predictDecodeMs(0, busy), 0);
  });
});

describe("onTimeProbability", () => {
  const cases: [string, number, number, (p: number) => boolean][] = [
    ["even odds when the prediction meets the deadline exactly", 1000, 1000, (p) => p === 0.5],
    ["likely with twice the time needed", 2000, 1000, (p) => p > 0.9 && p < 1],
    ["unlikely with half the time needed", 500, 1000, (p) => p < 0.1 && p > 0],
    ["zero once the deadline has passed", 0, 1000, (p) => p === 0],
    ["one when nothing is left to do", 1000, 0, (p) => p === 1],
  ];
  for (const [name, remaining, predicted, ok] of cases) {
    test(name, () => assert.ok(ok(onTimeProbability(remaining, predicted))));
  }

  test("rises with slack, falls with predicted time, stays in [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1e7 }),
        fc.integer({ min: 0, max: 1e7 }),
        fc.integer({ min: 1, max: 1e6 }),
        (remaining, predicted, more) => {
          const p = onTimeProbability(remaining, predicted);
          assert.ok(p >= 0 && p <= 1);
          assert.ok(onTimeProbability(remaining + more, predicted) >= p);
          assert.ok(onTimeProbability(remaining, predicted + more) <= p);
        },
      ),
    );
  });
});

describe("retryAfterMs", () => {
  test("is the time until one task completes, from measured throughput", () => {
    // 4 x 10 tokens/s = 40 tokens/s; a 100-token task completes every 2.5 s.
    assert.equal(retryAfterMs({ ...busy, decodeTokensPerSecond: 40 }, 100), 2500);
  });

  test("never advises less than the floor nor more than the ceiling", () => {
    assert.equal(retryAfterMs({ ...busy, decodeTokensPerSecond: 1e6 }, 10), MIN_RETRY_AFTER_MS);
    assert.equal(retryAfterMs({ ...busy, decodeTokensPerSecond: 1 }, 4096), MAX_RETRY_AFTER_MS);
  });
});
