// The OpenAI-compatible surface end to end: the official `openai` client against a real
// `llama-orch serve` with a real worker on the tiny model.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI, { APIError } from "openai";
import { silentLogger } from "../../src/common/logger.js";
import { connectControl } from "../../src/gateway/grpc-clients.js";
import { buildGateway } from "../../src/gateway/server.js";
import type { SessionInfo, TaskRecord } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;
const MODEL = "builtin:tiny";

/** The APIError a rejected call throws, so its status and body can be checked. */
async function apiError(call: Promise<unknown>): Promise<APIError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof APIError, `expected an APIError, got ${String(error)}`);
  return error;
}

describe("OpenAI-compatible surface", () => {
  let serve: ServeProcess;
  let client: OpenAI;
  before(async () => {
    serve = await startServe({ config });
    client = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => serve.stop());

  it("OAI-001: lists the served models in OpenAI's list shape", async () => {
    const page = await client.models.list();
    assert.deepEqual(
      page.data.map((m) => ({ id: m.id, object: m.object, owned_by: m.owned_by })),
      [{ id: MODEL, object: "model", owned_by: "llama-orch" }],
    );
    assert.equal(typeof page.data[0]?.created, "number");
  });

  it("OAI-002: completes a prompt with text, finish reason and consistent usage", async () => {
    const out = await client.completions.create({
      model: MODEL,
      prompt: "Once upon a time",
      max_tokens: 8,
    });
    assert.equal(out.object, "text_completion");
    assert.equal(out.model, MODEL);
    assert.match(out.id, /^cmpl-/);
    const [choice] = out.choices;
    assert.ok(choice && ["stop", "length"].includes(choice.finish_reason));
    assert.equal(typeof choice.text, "string");
    const usage = out.usage;
    assert.ok(usage && usage.completion_tokens > 0 && usage.completion_tokens <= 8);
    assert.ok(usage.prompt_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    if (choice.finish_reason === "length") assert.equal(usage.completion_tokens, 8);
  });

  it("OAI-002: the same seed gives the same text", async () => {
    const request = { model: MODEL, prompt: "The river", max_tokens: 12, temperature: 1, seed: 7 };
    const a = await client.completions.create(request);
    const b = await client.completions.create(request);
    assert.equal(a.choices[0]?.text, b.choices[0]?.text);
  });

  it("OAI-002: ignore_eos (llama-server's extension) generates exactly max_tokens", async () => {
    // Seed 28 on this prompt samples an end-of-generation token after 197 tokens on tiny.
    const request = {
      model: MODEL,
      prompt: "The river",
      max_tokens: 200,
      temperature: 1,
      seed: 28,
    };
    const natural = await client.completions.create(request);
    assert.equal(natural.choices[0]?.finish_reason, "stop");
    assert.ok((natural.usage?.completion_tokens ?? 200) < 200);
    const forced = await client.completions.create({
      ...request,
      ignore_eos: true,
    } as typeof request);
    assert.equal(forced.choices[0]?.finish_reason, "length");
    assert.equal(forced.usage?.completion_tokens, 200);
  });

  it("OAI-004: streams completion chunks that add up to the text, then usage, then [DONE]", async () => {
    const request = { model: MODEL, prompt: "The river", max_tokens: 12, temperature: 1, seed: 7 };
    const whole = await client.completions.create(request);
    const stream = await client.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "text_completion");
      for (const choice of chunk.choices) {
        text += choice.text;
        finishes.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, whole.choices[0]?.text);
    assert.equal(finishes.at(-1), whole.choices[0]?.finish_reason);
    assert.ok(finishes.slice(0, -1).every((f) => f === null));
    assert.deepEqual(usage, whole.usage);
  });

  it("OAI-003: answers chat with the chat template applied, deterministically per seed", async () => {
    const messages = [{ role: "user" as const, content: "Hello there" }];
    const request = { model: MODEL, messages, max_tokens: 10, temperature: 1, seed: 11 };
    const a = await client.chat.completions.create(request);
    const b = await client.chat.completions.create(request);
    assert.equal(a.object, "chat.completion");
    assert.match(a.id, /^chatcmpl-/);
    assert.equal(a.choices[0]?.message.role, "assistant");
    assert.equal(a.choices[0]?.message.content, b.choices[0]?.message.content);
    assert.ok(["stop", "length"].includes(a.choices[0]?.finish_reason ?? ""));
    // The template wraps the message in role markers: more prompt tokens than the raw text has.
    const raw = await client.completions.create({
      model: MODEL,
      prompt: "Hello there",
      max_tokens: 1,
    });
    assert.ok((a.usage?.prompt_tokens ?? 0) > (raw.usage?.prompt_tokens ?? 0));
    const withSystem = await client.chat.completions.create({
      ...request,
      messages: [{ role: "system", content: "Be brief and kind." }, ...messages],
    });
    assert.ok((withSystem.usage?.prompt_tokens ?? 0) > (a.usage?.prompt_tokens ?? 0));
  });

  it("OAI-004: streams chat chunks: the role first, deltas adding up to the answer, usage", async () => {
    const messages = [{ role: "user" as const, content: "Tell me a story" }];
    const request = { model: MODEL, messages, max_tokens: 10, temperature: 1, seed: 5 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0]?.choices[0]?.delta.role, "assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.equal(text, whole.choices[0]?.message.content);
    const finish = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).at(-1);
    assert.equal(finish, whole.choices[0]?.finish_reason);
    assert.deepEqual(chunks.at(-1)?.choices, []);
    // The same counts; cached_tokens may differ (the repeat can find the first one's prefix in
    // the slot; this 8-token prompt shares too little with its 17 cached tokens to count as a hit).
    const { prompt_tokens_details: streamed, ...usage } = chunks.at(-1)?.usage ?? {};
    const { prompt_tokens_details: first, ...wholeUsage } = whole.usage ?? {};
    assert.deepEqual(usage, wholeUsage);
    assert.equal(first?.cached_tokens, 0);
    const cached = streamed?.cached_tokens ?? -1;
    assert.ok(cached >= 0 && cached < (whole.usage?.prompt_tokens ?? 0), `cached ${cached}`);
  });

  it("OAI-005: runs requests with X-Session-Id in that session, like /v1/tasks", async () => {
    const sessionId = randomUUID();
    const headers = { "X-Session-Id": sessionId };
    const messages = [{ role: "user" as const, content: "Hi" }];
    await client.chat.completions.create({ model: MODEL, messages, max_tokens: 2 }, { headers });
    await client.completions.create({ model: MODEL, prompt: "Hi", max_tokens: 2 }, { headers });
    const info = await unary<SessionInfo>((cb) => serve.orchestrator.getSession({ sessionId }, cb));
    assert.equal(info.turns, 2);
  });

  it("OAI-005: a client that disconnects mid-stream cancels its task", async () => {
    const request = { model: MODEL, prompt: "Once upon a time", max_tokens: 3000, stream: true };
    // ignore_eos keeps the task running until the disconnect, whatever the sampler draws.
    const stream = await client.completions.create({
      ...request,
      ignore_eos: true,
    } as typeof request & { stream: true });
    let id = "";
    // Leaving the loop aborts the client's HTTP request: the connection closes mid-stream.
    for await (const chunk of stream) {
      id = chunk.id;
      break;
    }
    const taskId = id.replace(/^cmpl-/, "");
    let record: TaskRecord | undefined;
    for (let i = 0; i < 100; i += 1) {
      record = await unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb));
      if (record.state >= TaskState.TASK_STATE_FINISHED_STOP) break;
      await sleep(50);
    }
    assert.equal(record?.state, TaskState.TASK_STATE_FINISHED_CANCELLED);
    assert.ok((record?.tokensOut ?? 3000) < 3000);
  });

  it("OAI-006: refuses invalid requests with 400 and OpenAI's error shape", async () => {
    const zero = await apiError(
      client.completions.create({ model: MODEL, prompt: "x", max_tokens: 0 }),
    );
    assert.equal(zero.status, 400);
    assert.equal(zero.type, "invalid_request_error");
    assert.equal(zero.code, "INVALID_PARAMS");
    assert.equal(zero.param, "max_tokens");
    // Unknown fields are ignored since issue 12 (openai-fields.test.ts); a bad value is not.
    const badTopP = await apiError(
      client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "x" }],
        top_p: 0,
      }),
    );
    assert.equal(badTopP.status, 400);
    assert.equal(badTopP.code, "INVALID_PARAMS");
    assert.equal(badTopP.param, "top_p");
    assert.equal(typeof badTopP.message, "string");
  });

  it("OAI-006: answers an unknown model 404 model_not_found, streaming or not, and the SDK does not retry it", async () => {
    const model = "no-such-model";
    // Default retries (2): a retriable answer would reach the gateway three times per call.
    const retrying = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused" });
    const calls = [
      () => retrying.completions.create({ model, prompt: "x", max_tokens: 2 }),
      () => retrying.completions.create({ model, prompt: "x", max_tokens: 2, stream: true }),
      () => retrying.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }),
    ];
    const seen = () =>
      serve.logs.filter((l) => l.msg === "http request" && l.status === 404).length;
    const before = seen();
    for (const call of calls) {
      const error = await apiError(call());
      assert.equal(error.status, 404);
      assert.equal(error.code, "model_not_found");
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, /no-such-model/);
    }
    // A retry happens before the call rejects; only the last answer's log line may still be in
    // flight from the serve process.
    for (let i = 0; i < 100 && seen() - before < calls.length; i += 1) await sleep(50);
    assert.equal(seen() - before, calls.length, "one request per call: no retries");
  });

  it("OAI-006: answers a missing token with 401 in OpenAI's shape", async () => {
    const clients = connectControl(serve.address, undefined);
    const app = buildGateway(
      { clients, log: silentLogger() },
      { token: "secret", optional: false },
    );
    try {
      const res = await app.inject({ method: "GET", url: "/v1/models" });
      assert.equal(res.statusCode, 401);
      const body = res.json() as { error: Record<string, unknown> };
      assert.equal(body.error.type, "authentication_error");
      assert.equal(body.error.code, "40101");
      assert.equal(body.error.param, null);
      assert.match(String(body.error.message), /MISSING_TOKEN/);
    } finally {
      await app.close();
      clients.close();
    }
  });
});
