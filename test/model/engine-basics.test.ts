// Loading, metadata, tokenizer and chat template on the generated tiny model.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/engine.js";
import { digestCachePath } from "../../src/models/model-digest.js";
import { loadTiny, tinyModelPath } from "../support/tiny.js";

describe("engine on the tiny model", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 2 });
  });
  after(() => engine.dispose());

  it("reports the model's metadata and the context it was loaded with", async () => {
    const info = engine.info;
    assert.equal(info.architecture, "llama");
    assert.equal(info.vocabSize, 32064);
    assert.ok(info.parameterCount > 1_000_000 && info.parameterCount < 20_000_000);
    assert.equal(info.fileSizeBytes, (await stat(await tinyModelPath())).size);
    assert.ok(info.trainedContext >= 1024);
    assert.match(info.fileType, /F16/);
    assert.equal(info.hasChatTemplate, true);
    assert.equal(info.contextSize, 1024);
    assert.equal(info.slots, 2);
    assert.match(info.digest, /^[0-9a-f]{64}$/);
  });

  it("caches the model digest beside the file", async () => {
    const cached = await stat(digestCachePath(await tinyModelPath()));
    assert.ok(cached.size > 64);
  });

  it("round-trips text through the tokenizer", () => {
    const text = "The quick brown fox jumps over the lazy dog, 3 times: ünïcödé!";
    const tokens = engine.tokenize(text, { addSpecial: false });
    assert.ok(tokens.length > 5);
    assert.equal(engine.detokenize(tokens), text);
  });

  it("adds BOS only when asked", () => {
    const plain = engine.tokenize("hello", { addSpecial: false });
    const withBos = engine.tokenize("hello", { addSpecial: true });
    assert.equal(withBos.length, plain.length + 1);
  });

  it("applies the model's chat template, keeping system messages", () => {
    const { prompt } = engine.renderChat({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi there" },
      ],
    });
    assert.match(prompt, /<\|system\|>\s*Be brief\.<\|end\|>/);
    assert.match(prompt, /<\|user\|>\s*Hi there<\|end\|>/);
    assert.ok(prompt.trimEnd().endsWith("<|assistant|>"));
  });

  it("reports slot and KV stats", () => {
    const stats = engine.stats();
    assert.equal(stats.slotsTotal, 2);
    assert.equal(stats.slotsBusy, 0);
    // Whatever KV earlier tests left is idle cache, not a running sequence.
    assert.equal(stats.kvCellsUsed, stats.kvCellsCached);
    assert.equal(stats.kvCellsTotal, 2048);
  });
});
