// Sequence.batches(intervalMs): the first token at once, later ones at most once per interval, the
// end never held back, and every token delivered once, in order. Timers are mocked.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { Sequence } from "../../src/engine/sequence.js";
import type { EndEvent, EngineEvent, TokenEvent } from "../../src/engine/types.js";

const token = (index: number): TokenEvent => ({
  type: "token",
  id: 100 + index,
  text: `t${index}`,
  index,
});
const end: EndEvent = {
  type: "end",
  finishReason: "length",
  tokensIn: 3,
  tokensOut: 4,
  cachedTokens: 0,
  promptMs: 1,
  decodeMs: 4,
  ttftMs: 1,
  grammarResamples: 0,
};
const indexes = (batch: EngineEvent[] | undefined) =>
  (batch ?? []).map((event) => (event.type === "token" ? event.index : "end"));

/** Whether `promise` settled once the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe("Sequence.batches pacing", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it("sends the first token at once, holds later ones for the interval, and lets the end through", async () => {
    const sequence = new Sequence(1, async () => true);
    const reads = sequence.batches(100);
    sequence.push(token(0));
    assert.deepEqual(indexes((await reads.next()).value), [0], "the first token never waits");

    sequence.push(token(1));
    sequence.push(token(2));
    const second = reads.next();
    assert.equal(await settled(second), false, "a token 0 ms after the last read waits");
    mock.timers.tick(99);
    assert.equal(await settled(second), false);
    mock.timers.tick(1);
    assert.deepEqual(indexes((await second).value), [1, 2], "held tokens leave together");

    sequence.push(token(3));
    const third = reads.next();
    assert.equal(await settled(third), false);
    sequence.push(end);
    assert.deepEqual(indexes((await third).value), [3, "end"], "the end is never held back");
    assert.equal((await reads.next()).done, true);
  });

  it("reads each step as it comes with no interval, and after a pause longer than the interval", async () => {
    const plain = new Sequence(2, async () => true);
    const reads = plain.batches();
    plain.push(token(0));
    assert.deepEqual(indexes((await reads.next()).value), [0]);
    plain.push(token(1));
    assert.deepEqual(indexes((await reads.next()).value), [1], "interval 0: no wait");

    const paced = new Sequence(3, async () => true);
    const pacedReads = paced.batches(100);
    paced.push(token(0));
    await pacedReads.next();
    mock.timers.tick(150);
    paced.push(token(1));
    assert.deepEqual(indexes((await pacedReads.next()).value), [1], "a slow step is not held");
  });

  it("a cancel while tokens are held drops them and still ends the stream", async () => {
    const sequence = new Sequence(4, async () => true);
    const reads = sequence.batches(100);
    sequence.push(token(0));
    await reads.next();
    sequence.push(token(1));
    const held = reads.next();
    void sequence.cancel();
    sequence.push(token(2)); // the engine's step in flight: dropped after the cancel
    sequence.push({ ...end, finishReason: "cancelled" });
    assert.deepEqual(indexes((await held).value), ["end"], "no token after the cancel");
  });
});
