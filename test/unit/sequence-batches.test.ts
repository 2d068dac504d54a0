// Sequence.batches(): each read takes everything the engine delivered since the last one, in
// order, with the end last; after a cancel no buffered or later token is read.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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

describe("Sequence.batches", () => {
  it("reads each delivery as it comes, and what a slow reader missed as one batch", async () => {
    const sequence = new Sequence(1, async () => true);
    const reads = sequence.batches();
    sequence.push(token(0));
    assert.deepEqual(indexes((await reads.next()).value), [0]);
    sequence.push(token(1));
    sequence.push(token(2));
    sequence.push(token(3));
    assert.deepEqual(indexes((await reads.next()).value), [1, 2, 3], "coalesced, in order");
    sequence.push(token(4));
    sequence.push(end);
    assert.deepEqual(indexes((await reads.next()).value), [4, "end"], "the end comes last");
    assert.equal((await reads.next()).done, true);
  });

  it("a cancel drops buffered tokens and later ones, and still ends the stream", async () => {
    const sequence = new Sequence(2, async () => true);
    const reads = sequence.batches();
    sequence.push(token(0));
    await reads.next();
    sequence.push(token(1));
    void sequence.cancel();
    sequence.push(token(2)); // the engine's delivery in flight: dropped after the cancel
    sequence.push({ ...end, finishReason: "cancelled" });
    assert.deepEqual(indexes((await reads.next()).value), ["end"], "no token after the cancel");
  });
});
