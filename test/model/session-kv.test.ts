// Session KV: a follow-up turn prefills only its new tokens and generates what a cold run would.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/engine.js";
import { loadTiny, longPrompt } from "../support/tiny.js";

describe("session KV reuse", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 2 });
  });
  after(() => engine.dispose());

  it("reuses the cached prefix and keeps greedy output identical to a cold run", async () => {
    const greedy = { temperature: 0 };
    const turn1 = longPrompt(60);
    const first = await engine
      .submit({ prompt: turn1, maxTokens: 16, sampling: greedy, sessionKey: "s1", ignoreEos: true })
      .result();
    assert.equal(first.end.cachedTokens, 0);
    assert.ok(engine.stats().kvCellsUsed > 0, "the session keeps its KV after the turn");

    const turn2 = `${turn1}${first.text} and then the second question arrives`;
    const warm = await engine
      .submit({ prompt: turn2, maxTokens: 16, sampling: greedy, sessionKey: "s1", ignoreEos: true })
      .result();
    // Another tenant: the session's KV is copied for its own tenant's anonymous requests.
    const cold = await engine
      .submit({
        prompt: turn2,
        maxTokens: 16,
        sampling: greedy,
        ignoreEos: true,
        cacheTenant: "cold",
      })
      .result();

    assert.ok(warm.end.cachedTokens >= 60, `cached ${warm.end.cachedTokens}`);
    assert.equal(cold.end.cachedTokens, 0);
    assert.deepEqual(warm.tokens, cold.tokens);
  });

  it("evicts the least recently used session when a slot is needed", async () => {
    const greedy = { temperature: 0 };
    // Distinct first words: no session's prompt shares more than BOS with another's.
    const prompt = (word: string) => `${word} ${longPrompt(30)}`;
    await engine
      .submit({ prompt: prompt("alpha"), maxTokens: 4, sampling: greedy, sessionKey: "a" })
      .result();
    await engine
      .submit({ prompt: prompt("beta"), maxTokens: 4, sampling: greedy, sessionKey: "b" })
      .result();
    // Both slots now hold a session; a third session takes the older one's slot ("a").
    await engine
      .submit({ prompt: prompt("gamma"), maxTokens: 4, sampling: greedy, sessionKey: "c" })
      .result();
    const b = await engine
      .submit({ prompt: `${prompt("beta")} more`, maxTokens: 4, sampling: greedy, sessionKey: "b" })
      .result();
    const a = await engine
      .submit({
        prompt: `${prompt("alpha")} more`,
        maxTokens: 4,
        sampling: greedy,
        sessionKey: "a",
      })
      .result();
    assert.ok(b.end.cachedTokens > 30, "b was kept");
    assert.ok(a.end.cachedTokens <= 1, `a was evicted (cached ${a.end.cachedTokens}: BOS at most)`);
  });
});
