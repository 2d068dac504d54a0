// Generation on the tiny model: determinism, strict isolation, concurrency, stops and grammar.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/engine.js";
import type { SubmitRequest } from "../../src/engine/types.js";
import { loadTiny, longPrompt } from "../support/tiny.js";

const sampled: SubmitRequest = {
  prompt: "Once upon a time",
  maxTokens: 24,
  sampling: { temperature: 0.9, seed: 1234 },
  ignoreEos: true,
};

describe("generation", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 8 });
  });
  after(() => engine.dispose());

  it("gives the same tokens for the same seed, and others for another seed", async () => {
    const first = await engine.submit(sampled).result();
    const again = await engine.submit(sampled).result();
    const other = await engine
      .submit({ ...sampled, sampling: { temperature: 0.9, seed: 99 } })
      .result();
    assert.equal(first.tokens.length, 24);
    assert.deepEqual(again.tokens, first.tokens);
    assert.notDeepEqual(other.tokens, first.tokens);
  });

  it("gives a strict sequence byte-identical output alone and next to 7 busy sequences", async () => {
    const strict: SubmitRequest = {
      ...sampled,
      prompt: longPrompt(40),
      maxTokens: 48,
      strict: true,
    };
    const alone = await engine.submit(strict).result();
    const noise = Array.from({ length: 7 }, (_, i) =>
      engine.submit({
        prompt: longPrompt(10 + i * 9),
        maxTokens: 64,
        ignoreEos: true,
        sampling: { seed: i },
      }),
    );
    const loaded = await engine.submit(strict).result();
    await Promise.all(noise.map((s) => s.result()));
    assert.equal(loaded.text, alone.text);
    assert.deepEqual(loaded.tokens, alone.tokens);
  });

  it("finishes 16 concurrent sequences with the counts they asked for", async () => {
    const requests = Array.from({ length: 16 }, (_, i) => ({
      prompt: longPrompt(5 + i),
      maxTokens: 8 + i,
      ignoreEos: true,
      sampling: { seed: i },
    }));
    const results = await Promise.all(requests.map((r) => engine.submit(r).result()));
    results.forEach((result, i) => {
      assert.equal(result.end.finishReason, "length");
      assert.equal(result.end.tokensOut, 8 + i);
      assert.equal(result.tokens.length, 8 + i);
      assert.equal(
        result.end.tokensIn,
        engine.tokenize(longPrompt(5 + i), { parseSpecial: true }).length,
      );
    });
    assert.equal(engine.stats().slotsBusy, 0);
    // Finished sequences leave their KV as prefix cache: all of it idle.
    assert.ok(engine.stats().kvCellsCached > 0);
    assert.equal(engine.stats().kvCellsUsed, engine.stats().kvCellsCached);
  });

  it("numbers token events from 0 and reports timings", async () => {
    const indexes: number[] = [];
    let end: { ttftMs: number; decodeMs: number; promptMs: number } | undefined;
    for await (const event of engine.submit({ ...sampled, maxTokens: 5 })) {
      if (event.type === "token") indexes.push(event.index);
      else end = event;
    }
    assert.deepEqual(indexes, [0, 1, 2, 3, 4]);
    assert.ok(end && end.ttftMs > 0 && end.promptMs > 0 && end.decodeMs > 0);
  });

  it("cuts the output right before a stop string and finishes with stop", async () => {
    const greedy: SubmitRequest = {
      prompt: "Once upon a time",
      maxTokens: 32,
      ignoreEos: true,
      sampling: { temperature: 0 },
    };
    const full = await engine.submit(greedy).result();
    const stop = full.text.slice(
      Math.floor(full.text.length / 2),
      Math.floor(full.text.length / 2) + 3,
    );
    assert.equal(stop.length, 3);
    const cut = await engine.submit({ ...greedy, stop: [stop] }).result();
    assert.equal(cut.end.finishReason, "stop");
    assert.equal(cut.text, full.text.slice(0, full.text.indexOf(stop)));
  });

  it("constrains the output with a GBNF grammar", async () => {
    const result = await engine
      .submit({
        prompt: "Answer:",
        maxTokens: 16,
        grammar: 'root ::= "yes" | "no"',
        sampling: { seed: 3 },
      })
      .result();
    assert.ok(result.text === "yes" || result.text === "no", `got ${JSON.stringify(result.text)}`);
    assert.equal(result.end.finishReason, "stop");
  });

  it("checks the grammar on the sampled token first: greedy output it allows is not resampled", async () => {
    const greedy: SubmitRequest = {
      prompt: "Once upon a time",
      maxTokens: 8,
      sampling: { temperature: 0 },
      ignoreEos: true,
    };
    const free = await engine.submit(greedy).result();
    // A grammar that is exactly the free answer: every greedy token passes the one-token check.
    const literal = JSON.stringify(free.text);
    const allowed = await engine.submit({ ...greedy, grammar: `root ::= ${literal} .*` }).result();
    assert.deepEqual(allowed.tokens, free.tokens);
    assert.equal(allowed.end.grammarResamples, 0);
    // One the model would not write: each rejected token is resampled under the grammar.
    const forced = await engine
      .submit({ ...greedy, maxTokens: 4, ignoreEos: false, grammar: 'root ::= "zzzz"' })
      .result();
    assert.equal(forced.text, "zzzz");
    assert.ok(forced.end.grammarResamples > 0);
  });

  it("makes a grammar of a JSON schema (response_format): the output validates", async () => {
    const schema = {
      type: "object",
      properties: { n: { type: "integer", minimum: 0, maximum: 9 } },
      required: ["n"],
      additionalProperties: false,
    };
    const result = await engine
      .submit({
        prompt: "JSON:",
        maxTokens: 32,
        sampling: { seed: 2 },
        jsonSchema: JSON.stringify(schema),
      })
      .result();
    const value = JSON.parse(result.text) as { n: number };
    assert.deepEqual(Object.keys(value), ["n"]);
    assert.ok(Number.isInteger(value.n) && value.n >= 0 && value.n <= 9, result.text);
    assert.throws(
      () => engine.submit({ prompt: "x", maxTokens: 2, grammar: 'root ::= "a"', jsonSchema: "{}" }),
      (error: Error & { code?: string }) => error.code === "INVALID_PARAMS",
    );
  });

  it("accepts token ids as the prompt", async () => {
    const tokens = engine.tokenize("Once upon a time");
    const fromTokens = await engine.submit({ ...sampled, prompt: tokens }).result();
    const fromText = await engine.submit(sampled).result();
    assert.deepEqual(fromTokens.tokens, fromText.tokens);
  });
});
