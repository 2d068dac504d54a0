// Chunked prefill under contention: prompts that arrive together get their first tokens one after
// another, and a sequence that is decoding keeps getting tokens while a long prompt is prefilled.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/engine.js";
import { loadTiny, longPrompt } from "../support/tiny.js";

/** Reads event streams side by side; returns the order their token events arrived in, by name. */
async function arrivalOrder(streams: Record<string, AsyncIterable<{ type: string }>>) {
  const order: string[] = [];
  await Promise.all(
    Object.entries(streams).map(async ([name, stream]) => {
      for await (const event of stream) if (event.type === "token") order.push(name);
    }),
  );
  return order;
}

const request = (prompt: string, maxTokens: number) => ({
  prompt,
  maxTokens,
  ignoreEos: true,
  sampling: { temperature: 0 },
});

describe("chunked prefill", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 2, contextSize: 1024, prefillChunk: 32 });
  });
  after(() => engine.dispose());

  it("two long prompts submitted together: the first streams before the second's prefill ends", async () => {
    // Different first words: the prompts share no prefix the second could copy from the first.
    const first = engine.submit(request(`alpha ${longPrompt(300)}`, 12));
    const second = engine.submit(request(`beta ${longPrompt(300)}`, 12));
    const order = await arrivalOrder({ first, second });
    const beforeSecond = order.indexOf("second");
    // ~300 prompt tokens at 32 per step: the second prompt needs ~9 steps after the first's.
    assert.ok(beforeSecond >= 4, `the first had ${beforeSecond} tokens before the second's first`);
  });

  it("a short prompt streams while a long prompt submitted with it is prefilled", async () => {
    const running = engine.submit(request("short", 64));
    const long = engine.submit(request(longPrompt(600), 4));
    const order = await arrivalOrder({ running, long });
    const longFirst = order.indexOf("long");
    // 600 prompt tokens at 32 per step is ~19 steps, each also decoding the short sequence.
    assert.ok(longFirst >= 10, `only ${longFirst} short-sequence tokens before the long's first`);
  });
});
