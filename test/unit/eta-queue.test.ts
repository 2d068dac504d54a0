// Honest ETAs (issue 13): the model-size prior for a cold pool, the delivered rate over the
// engine's step rate, and predicted starts walked along the real dispatch order.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  blendObserved,
  deliveredTokensPerSecond,
  FALLBACK_TOKENS_PER_SECOND,
  MAX_PRIOR_TOKENS_PER_SECOND,
  perSequenceTokensPerSecond,
  priorTokensPerSecond,
  queueStartsMs,
  retryAfterMs,
} from "../../src/control/eta.js";
import { TaskQueue } from "../../src/control/task-queue.js";

describe("the cold-pool prior from the model's size", () => {
  test("the 9 MB tiny model on CPU is believed at hundreds of tokens/s, not 10", () => {
    const rate = priorTokensPerSecond("cpu", 9_182_656) ?? 0;
    assert.ok(rate > 400 && rate < 600, `prior ${rate}`);
  });
  test("bounded: never above the cap, never below the fallback, none without a size", () => {
    assert.equal(priorTokensPerSecond("cpu", 1000), MAX_PRIOR_TOKENS_PER_SECOND);
    assert.equal(priorTokensPerSecond("cpu", 100e9), FALLBACK_TOKENS_PER_SECOND);
    assert.equal(priorTokensPerSecond("cpu", 0), undefined);
    assert.ok((priorTokensPerSecond("cuda", 5e9) ?? 0) > (priorTokensPerSecond("cpu", 5e9) ?? 0));
  });
  test("a cold pool with a prior advises retrying in about a second, not a minute", () => {
    const cold = { slotsTotal: 1, activeLeases: 1, decodeTokensPerSecond: 0 };
    const prior = priorTokensPerSecond("cpu", 9_182_656);
    assert.equal(retryAfterMs(cold, 1500), 60_000, "the old constant: 150 s clamped to 60 s");
    assert.ok(retryAfterMs({ ...cold, priorTokensPerSecond: prior }, 1500) <= 3000);
  });
});

describe("which rate a sequence is believed to get", () => {
  const pool = {
    slotsTotal: 4,
    activeLeases: 2,
    decodeTokensPerSecond: 1800,
    priorTokensPerSecond: 500,
  };
  test("the engine's step rate shared by the active sequences, over the prior", () =>
    assert.equal(perSequenceTokensPerSecond(pool), 900));
  test("what clients were delivered wins over the engine's step timing", () =>
    assert.equal(perSequenceTokensPerSecond({ ...pool, observedTokensPerSecond: 70 }), 70));
  test("the delivered rate of a task: tokens after the first over the time since it", () => {
    assert.equal(deliveredTokensPerSecond(101, 1000, 2000), 100);
    assert.equal(deliveredTokensPerSecond(1, 1000, 2000), undefined);
    assert.equal(deliveredTokensPerSecond(50, undefined, 2000), undefined);
  });
  test("new samples move the observed rate part of the way", () => {
    assert.equal(blendObserved(undefined, 80), 80);
    assert.equal(blendObserved(100, 0), 70);
  });
});

describe("predicted starts walked along the queue", () => {
  // One slot at 100 tokens/s per sequence: a running task with 200 tokens left frees it in 2 s.
  const pool = {
    slotsTotal: 1,
    activeLeases: 1,
    decodeTokensPerSecond: 0,
    observedTokensPerSecond: 100,
  };
  const cases: [string, number[], number[], number[]][] = [
    ["a free slot starts at once", [], [50], [0, 500]],
    ["behind a running task: when it frees its slot", [200], [50, 100], [2000, 2500, 3500]],
    ["each task ahead holds the slot for its own tokens", [0], [100, 300], [0, 1000, 4000]],
  ];
  for (const [name, running, ahead, expected] of cases) {
    test(name, () =>
      assert.deepEqual(
        queueStartsMs({ ...pool, runningTokensLeft: running, aheadTokens: ahead }),
        expected,
      ),
    );
  }
  test("two slots: the walk takes whichever frees first", () => {
    const two = { ...pool, slotsTotal: 2, activeLeases: 2 };
    assert.deepEqual(
      queueStartsMs({ ...two, runningTokensLeft: [100, 300], aheadTokens: [100, 100] }),
      [1000, 2000, 3000],
    );
  });
  test("an interactive task's place is ahead of every batch task, so its wait is theirs not counted", () => {
    const queue = new TaskQueue<{ taskId: string; priority: "interactive" | "batch" }>(8, "reject");
    queue.enqueue({ taskId: "b1", priority: "batch" });
    queue.enqueue({ taskId: "b2", priority: "batch" });
    queue.enqueue({ taskId: "i1", priority: "interactive" });
    assert.equal(queue.positionFor("interactive"), 1);
    assert.equal(queue.positionFor("batch"), 3);
    assert.equal(queue.position("i1"), 0);
  });
});
