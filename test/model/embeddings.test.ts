// The addon's embed on the generated tiny model: pooled, unit-length vectors, one sequence per input.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import type { Engine } from "../../src/engine/engine.js";
import { loadTiny } from "../support/tiny.js";

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (b[i] ?? Number.NaN))), 0);
}

function withCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof OrchError, `expected an OrchError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe("embed on an embeddings engine", () => {
  let engine: Engine;
  before(async () => {
    // Two slots and a 64-token context: six inputs need several decode calls.
    engine = await loadTiny({ embeddings: true, slots: 2, contextSize: 64 });
  });
  after(() => engine.dispose());

  it("reports the model's embedding size and the pooling auto chose (last: no metadata)", () => {
    assert.equal(engine.info.embeddingLength, 64);
    assert.equal(engine.info.pooling, "last");
  });

  it("returns one unit-length vector of the model's size per input, in order", async () => {
    const result = await engine.embed(["the river runs", "past the stone lantern"]);
    assert.equal(result.vectors.length, 2);
    for (const vector of result.vectors) {
      assert.equal(vector.length, 64);
      assert.ok(Math.abs(norm(vector) - 1) < 1e-5, `norm ${norm(vector)}`);
    }
    assert.ok(maxDiff(result.vectors[0] as Float32Array, result.vectors[1] as Float32Array) > 1e-3);
    const tokens = ["the river runs", "past the stone lantern"].map((t) =>
      engine.tokenize(t, { parseSpecial: true }),
    );
    assert.equal(result.tokens, (tokens[0]?.length ?? 0) + (tokens[1]?.length ?? 0));
  });

  it("embeds each input as its own sequence: batch neighbours do not change a vector", async () => {
    const inputs = [
      "copper",
      "meadow signal",
      "harbor",
      "orchard river stone",
      "lantern",
      "copper",
    ];
    const batch = await engine.embed(inputs);
    assert.equal(batch.vectors.length, inputs.length);
    for (const [i, input] of inputs.entries()) {
      const alone = await engine.embed([input]);
      const diff = maxDiff(batch.vectors[i] as Float32Array, alone.vectors[0] as Float32Array);
      assert.ok(diff < 1e-4, `input ${i} differs by ${diff} from its own embedding`);
    }
    assert.ok(maxDiff(batch.vectors[0] as Float32Array, batch.vectors[5] as Float32Array) < 1e-4);
  });

  it("token ids embed as the text they tokenize from", async () => {
    const tokens = engine.tokenize("the river runs", { parseSpecial: true });
    const [fromText, fromTokens] = (await engine.embed(["the river runs", tokens])).vectors;
    assert.ok(maxDiff(fromText as Float32Array, fromTokens as Float32Array) < 1e-4);
  });

  it("an input longer than the context is CONTEXT_TOO_LARGE, an empty one INVALID_PARAMS", async () => {
    const long = Array.from({ length: 65 }, () => 100);
    assert.throws(() => engine.embed(["fine", long]), withCode("CONTEXT_TOO_LARGE"));
    assert.throws(() => engine.embed([[]]), withCode("INVALID_PARAMS"));
    assert.throws(() => engine.embed([[1_000_000]]), withCode("INVALID_PARAMS"));
    // And it keeps serving.
    assert.equal((await engine.embed(["still here"])).vectors.length, 1);
  });

  it("does not generate", () => {
    assert.throws(
      () => engine.submit({ prompt: "hello", maxTokens: 2 }),
      withCode("INVALID_PARAMS"),
    );
  });

  it("mean pooling gives other vectors than last", async () => {
    const mean = await loadTiny({ embeddings: true, pooling: "mean", slots: 1, contextSize: 64 });
    try {
      assert.equal(mean.info.pooling, "mean");
      const [byMean] = (await mean.embed(["orchard river stone"])).vectors;
      const [byLast] = (await engine.embed(["orchard river stone"])).vectors;
      assert.ok(Math.abs(norm(byMean as Float32Array) - 1) < 1e-5);
      assert.ok(maxDiff(byMean as Float32Array, byLast as Float32Array) > 1e-3);
    } finally {
      await mean.dispose();
    }
  });
});

describe("embed on a generation engine", () => {
  it("is INVALID_PARAMS, and the engine reports no pooling", async () => {
    const engine = await loadTiny({ slots: 1, contextSize: 64 });
    try {
      assert.equal(engine.info.pooling, "");
      assert.throws(() => engine.embed(["hello"]), withCode("INVALID_PARAMS"));
    } finally {
      await engine.dispose();
    }
  });
});
