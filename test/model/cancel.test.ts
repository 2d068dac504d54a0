// Cancel while queued, during prefill and during decode: no token after it, the slot comes back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine } from "../../src/engine/engine.js";
import type { Sequence } from "../../src/engine/sequence.js";
import type { EngineEvent } from "../../src/engine/types.js";
import { loadTiny, longPrompt } from "../support/tiny.js";

/** Reads a sequence to its end, recording whether any token arrived after `cancelled()` was true. */
async function drain(sequence: Sequence, cancelled: () => boolean) {
  const events: EngineEvent[] = [];
  let tokenAfterCancel = false;
  for await (const event of sequence) {
    if (event.type === "token" && cancelled()) tokenAfterCancel = true;
    events.push(event);
  }
  const end = events.at(-1);
  assert.ok(end?.type === "end");
  return { events, end, tokenAfterCancel };
}

describe("cancel", () => {
  let engine: Engine;
  before(async () => {
    // A small batch makes a long prompt take many steps, so cancels can land inside prefill.
    engine = await loadTiny({ slots: 2, batchSize: 16, ubatchSize: 16 });
  });
  after(() => engine.dispose());

  async function assertIdle() {
    for (let i = 0; i < 50 && engine.stats().slotsBusy > 0; i++) await sleep(10);
    const stats = engine.stats();
    assert.equal(stats.slotsBusy, 0);
    assert.equal(stats.pending, 0);
    // A cancelled sequence's KV stays as cache; none of it is busy.
    assert.equal(stats.kvCellsUsed, stats.kvCellsCached);
  }

  it("removes a queued sequence before it starts", async () => {
    const busy = [0, 1].map(() =>
      engine.submit({ prompt: longPrompt(300), maxTokens: 200, ignoreEos: true }),
    );
    const queued = engine.submit({ prompt: "never started", maxTokens: 10 });
    let resolved = false;
    const reading = drain(queued, () => resolved);
    assert.equal(await queued.cancel(), true);
    resolved = true;
    const { end, tokenAfterCancel } = await reading;
    assert.equal(end.type === "end" && end.finishReason, "cancelled");
    assert.equal(end.type === "end" && end.tokensOut, 0);
    assert.equal(tokenAfterCancel, false);
    await Promise.all(busy.map((s) => s.cancel()));
    await Promise.all(busy.map((s) => s.result()));
    await assertIdle();
  });

  it("stops a sequence during prefill, at random moments", async () => {
    for (let round = 0; round < 8; round++) {
      // ~800 prompt tokens in chunks of 16: about 50 steps of prefill before the first token.
      const sequence = engine.submit({ prompt: longPrompt(500), maxTokens: 50, ignoreEos: true });
      let resolved = false;
      const reading = drain(sequence, () => resolved);
      await sleep(Math.random() * 15);
      await sequence.cancel();
      resolved = true;
      const { end, tokenAfterCancel } = await reading;
      assert.equal(tokenAfterCancel, false);
      assert.ok(end.type === "end" && end.finishReason === "cancelled");
      assert.equal(end.tokensOut, 0, "the cancel landed before the first token");
    }
    await assertIdle();
  });

  it("stops a decoding sequence after a random number of tokens; nothing follows the cancel", async () => {
    for (let round = 0; round < 12; round++) {
      const sequence = engine.submit({
        prompt: "Once upon a time",
        maxTokens: 400,
        ignoreEos: true,
      });
      const stopAt = 1 + Math.floor(Math.random() * 40);
      let seen = 0;
      let resolved = false;
      let tokenAfterCancel = false;
      let end: EngineEvent | undefined;
      for await (const event of sequence) {
        if (event.type === "end") {
          end = event;
          break;
        }
        if (resolved) tokenAfterCancel = true;
        if (++seen === stopAt) {
          assert.equal(await sequence.cancel(), true);
          resolved = true;
        }
      }
      assert.equal(tokenAfterCancel, false);
      assert.ok(end?.type === "end" && end.finishReason === "cancelled");
      assert.ok(end.tokensOut >= stopAt && end.tokensOut < 400);
    }
    await assertIdle();
  });

  it("answers false for a sequence that already ended", async () => {
    const done = engine.submit({ prompt: "short", maxTokens: 2, ignoreEos: true });
    await done.result();
    assert.equal(await done.cancel(), false);
  });
});
