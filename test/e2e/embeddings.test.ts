// POST /v1/embeddings end to end: the official `openai` client against a real `serve` with an
// embeddings pool and a generation pool on the generated tiny models.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI, { APIError } from "openai";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

// One model per kind of pool (the generation pool's is a copy of tiny under another name), so
// that each kind's refusal can be asked for by name.
const configOf = (genModel: string) => `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: embed-0, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 128, threads: 1, embeddings: true }
  - { id: gen-0, model: "${genModel}", backend: cpu, slots: 1, context_size: 512, threads: 1 }
`;
const EMBED_MODEL = "builtin:tiny";
const DIMENSIONS = 64;

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  return a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (b[i] ?? Number.NaN))), 0);
}

async function apiError(call: Promise<unknown>): Promise<APIError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof APIError, `expected an APIError, got ${String(error)}`);
  return error;
}

describe("OpenAI embeddings", () => {
  let serve: ServeProcess;
  let client: OpenAI;
  let dir: string;
  let GEN_MODEL: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-embed-"));
    GEN_MODEL = join(dir, "gen-tiny.gguf");
    await copyFile(await tinyModelPath(), GEN_MODEL);
    serve = await startServe({ config: configOf(GEN_MODEL) });
    client = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(async () => {
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("OAI-040: one string gives one unit vector of the model's size, with usage", async () => {
    const out = await client.embeddings.create({
      model: EMBED_MODEL,
      input: "the river runs past the stone lantern",
      encoding_format: "float",
    });
    assert.equal(out.object, "list");
    assert.equal(out.model, EMBED_MODEL);
    assert.equal(out.data.length, 1);
    const [item] = out.data;
    assert.equal(item?.object, "embedding");
    assert.equal(item?.index, 0);
    assert.equal(item?.embedding.length, DIMENSIONS);
    assert.ok(Math.abs(norm(item?.embedding ?? []) - 1) < 1e-4);
    assert.ok(out.usage.prompt_tokens > 0);
    assert.equal(out.usage.total_tokens, out.usage.prompt_tokens);
    // Admitted and queued like any task, on the embeddings pool only.
    const admitted = serve.logs.filter((l) => l.msg === "task admitted");
    assert.deepEqual([...new Set(admitted.map((l) => l.pool_id))], ["embed-0"]);
  });

  it("OAI-040: a batch keeps input order; equal inputs give equal vectors, others differ", async () => {
    const input = ["copper meadow", "harbor signal orchard", "copper meadow"];
    const out = await client.embeddings.create({
      model: EMBED_MODEL,
      input,
      encoding_format: "float",
    });
    assert.deepEqual(
      out.data.map((d) => d.index),
      [0, 1, 2],
    );
    const [a, b, c] = out.data.map((d) => d.embedding);
    assert.ok(a && b && c);
    assert.ok(maxDiff(a, c) < 1e-4, "the same input, the same vector");
    assert.ok(maxDiff(a, b) > 1e-3, "different inputs, different vectors");
    const alone = await client.embeddings.create({
      model: EMBED_MODEL,
      input: "harbor signal orchard",
      encoding_format: "float",
    });
    assert.ok(maxDiff(b, alone.data[0]?.embedding ?? []) < 1e-4, "batch neighbours change nothing");
  });

  it("OAI-040: base64 decodes to the float answer; the SDK's default asks for base64", async () => {
    const input = ["lantern", "stone river"];
    const floats = await client.embeddings.create({
      model: EMBED_MODEL,
      input,
      encoding_format: "float",
    });
    const raw = await client.embeddings.create({
      model: EMBED_MODEL,
      input,
      encoding_format: "base64",
    });
    for (const [i, item] of raw.data.entries()) {
      const text = item.embedding as unknown as string;
      assert.equal(typeof text, "string");
      const bytes = Buffer.from(text, "base64");
      const decoded = Array.from({ length: bytes.length / 4 }, (_, k) => bytes.readFloatLE(k * 4));
      assert.deepEqual(decoded, floats.data[i]?.embedding, `input ${i}`);
    }
    // Without encoding_format the SDK requests base64 and decodes it to numbers itself.
    const byDefault = await client.embeddings.create({ model: EMBED_MODEL, input });
    assert.deepEqual(
      byDefault.data.map((d) => d.embedding),
      floats.data.map((d) => d.embedding),
    );
  });

  it("OAI-040: token arrays embed like the text; dimensions equal to the model's is accepted", async () => {
    const text = await client.embeddings.create({
      model: EMBED_MODEL,
      input: "meadow",
      encoding_format: "float",
      dimensions: DIMENSIONS,
      user: "alice",
    });
    const tokens = await client.embeddings.create({
      model: EMBED_MODEL,
      input: [
        [1, 17, 23],
        [1, 42],
      ],
      encoding_format: "float",
    });
    assert.equal(tokens.data.length, 2);
    assert.equal(tokens.usage.prompt_tokens, 5);
    assert.ok(maxDiff(tokens.data[0]?.embedding ?? [], tokens.data[1]?.embedding ?? []) > 1e-3);
    assert.equal(text.data[0]?.embedding.length, DIMENSIONS);
  });

  it("OAI-041: refusals are 400s the SDK surfaces and does not retry", async () => {
    // Default retries (2): a retriable answer would reach the gateway three times per call.
    const retrying = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused" });
    const seen = () =>
      serve.logs.filter((l) => l.msg === "http request" && l.status === 400).length;
    const before = seen();
    const cases: [() => Promise<unknown>, RegExp][] = [
      [
        () => retrying.embeddings.create({ model: EMBED_MODEL, input: "x", dimensions: 32 }),
        /dimensions 32 .*embedding size .*\(64\)/,
      ],
      [
        () => retrying.embeddings.create({ model: GEN_MODEL, input: "x" }),
        /generation pools only; embeddings need a pool with embeddings: true/,
      ],
      [
        () =>
          retrying.chat.completions.create({
            model: EMBED_MODEL,
            messages: [{ role: "user", content: "hi" }],
          }),
        /embeddings pools only .*POST \/v1\/embeddings/,
      ],
      [
        () => retrying.embeddings.create({ model: EMBED_MODEL, input: "river ".repeat(200) }),
        /input 0 has \d+ tokens, more than the 128 tokens this pool takes per input/,
      ],
    ];
    for (const [call, message] of cases) {
      const error = await apiError(call());
      assert.equal(error.status, 400);
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, message);
    }
    for (let i = 0; i < 100 && seen() - before < cases.length; i += 1) await sleep(50);
    assert.equal(seen() - before, cases.length, "one request per call: no retries");
  });

  it("OAI-041: an unknown model is 404 model_not_found; the generation pool still chats", async () => {
    const error = await apiError(client.embeddings.create({ model: "no-such-model", input: "x" }));
    assert.equal(error.status, 404);
    assert.equal(error.code, "model_not_found");
    const chat = await client.chat.completions.create({
      model: GEN_MODEL,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 2,
    });
    assert.equal(chat.object, "chat.completion");
  });
});
