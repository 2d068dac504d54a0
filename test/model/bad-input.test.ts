// Every bad input gets its typed error and the engine keeps serving.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { Engine } from "../../src/engine/engine.js";
import { loadTiny, tinyModelPath } from "../support/tiny.js";

function withCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof OrchError, `expected an OrchError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.ok(error.message.length > 20, "the message says what to do");
    return true;
  };
}

describe("bad model files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-bad-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("a missing file is MODEL_NOT_FOUND", async () => {
    await assert.rejects(
      Engine.load({ modelPath: join(dir, "nope.gguf") }),
      withCode("MODEL_NOT_FOUND"),
    );
  });

  it("a file that is not a GGUF is MODEL_INVALID", async () => {
    const path = join(dir, "text.gguf");
    await writeFile(path, "this is plainly not a model\n".repeat(100));
    await assert.rejects(Engine.load({ modelPath: path }), withCode("MODEL_INVALID"));
  });

  it("a truncated GGUF is MODEL_INVALID", async () => {
    const bytes = await readFile(await tinyModelPath());
    const path = join(dir, "truncated.gguf");
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(Engine.load({ modelPath: path }), withCode("MODEL_INVALID"));
  });

  it("a GGUF with a corrupted header is MODEL_INVALID", async () => {
    const bytes = Buffer.from(await readFile(await tinyModelPath()));
    bytes.writeBigUInt64LE(0xffffffffffffn, 8); // tensor count
    const path = join(dir, "corrupt.gguf");
    await writeFile(path, bytes);
    await assert.rejects(Engine.load({ modelPath: path }), withCode("MODEL_INVALID"));
  });

  it("an unknown architecture is MODEL_UNSUPPORTED", async () => {
    const bytes = Buffer.from(await readFile(await tinyModelPath()));
    const at = bytes.indexOf("llama", bytes.indexOf("general.architecture"));
    bytes.write("zzzzz", at, "latin1"); // same length, so the file stays well-formed
    const path = join(dir, "alien.gguf");
    await writeFile(path, bytes);
    await assert.rejects(Engine.load({ modelPath: path }), withCode("MODEL_UNSUPPORTED"));
  });

  it("a context larger than the model's is CONTEXT_TOO_LARGE", async () => {
    await assert.rejects(loadTiny({ contextSize: 1_000_000 }), withCode("CONTEXT_TOO_LARGE"));
  });

  it("nonsense options are INVALID_PARAMS", async () => {
    const path = join(dir, "copy.gguf");
    await copyFile(await tinyModelPath(), path);
    await assert.rejects(Engine.load({ modelPath: path, slots: 0 }), withCode("INVALID_PARAMS"));
    await assert.rejects(
      Engine.load({ modelPath: path, batchSize: 64, prefillChunk: 65 }),
      withCode("INVALID_PARAMS"),
    );
    for (const streamIntervalMs of [-1, 2.5, 1001]) {
      await assert.rejects(
        Engine.load({ modelPath: path, streamIntervalMs }),
        withCode("INVALID_PARAMS"),
        `streamIntervalMs ${streamIntervalMs}`,
      );
    }
  });
});

describe("bad requests", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 2, contextSize: 256 });
  });
  after(() => engine.dispose());

  const cases: [string, Parameters<Engine["submit"]>[0], string][] = [
    ["an empty prompt", { prompt: "", maxTokens: 4 }, "INVALID_PARAMS"],
    ["an empty token list", { prompt: [], maxTokens: 4 }, "INVALID_PARAMS"],
    ["maxTokens 0", { prompt: "hi", maxTokens: 0 }, "INVALID_PARAMS"],
    ["a token outside the vocabulary", { prompt: [1, 999999], maxTokens: 4 }, "INVALID_PARAMS"],
    [
      "a negative temperature",
      { prompt: "hi", maxTokens: 4, sampling: { temperature: -1 } },
      "INVALID_PARAMS",
    ],
    ["topP above 1", { prompt: "hi", maxTokens: 4, sampling: { topP: 1.5 } }, "INVALID_PARAMS"],
    [
      "a prompt longer than the context",
      { prompt: "word ".repeat(400), maxTokens: 4 },
      "PROMPT_TOO_LONG",
    ],
    ["maxTokens beyond the context", { prompt: "hi", maxTokens: 10_000 }, "PROMPT_TOO_LONG"],
    [
      "a grammar that does not parse",
      { prompt: "hi", maxTokens: 4, grammar: "root ::= (" },
      "GRAMMAR_INVALID",
    ],
  ];
  for (const [name, request, code] of cases) {
    it(`${name} is ${code}`, () => {
      assert.throws(() => engine.submit(request), withCode(code));
    });
  }

  it("keeps serving after all of them", async () => {
    const result = await engine
      .submit({ prompt: "still here", maxTokens: 3, ignoreEos: true })
      .result();
    assert.equal(result.end.tokensOut, 3);
  });

  it("cancelling an unknown sequence id is SEQUENCE_UNKNOWN", async () => {
    await assert.rejects(engine.cancel(424242), withCode("SEQUENCE_UNKNOWN"));
  });

  it("after dispose, every call is ENGINE_DISPOSED", async () => {
    const other = await loadTiny({ slots: 1 });
    const running = other.submit({ prompt: "cut short", maxTokens: 500, ignoreEos: true });
    await other.dispose();
    const result = await running.result();
    assert.equal(result.end.finishReason, "cancelled");
    assert.throws(() => other.submit({ prompt: "hi", maxTokens: 1 }), withCode("ENGINE_DISPOSED"));
    assert.throws(() => other.stats(), withCode("ENGINE_DISPOSED"));
    await other.dispose();
  });
});
