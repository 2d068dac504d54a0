// Token log-probabilities (issue 12) through a real `serve`: the official `openai` client's chat
// and completions, streaming and not, and the native task API's SSE token events.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { ChatCompletionTokenLogprob } from "openai/resources/chat/completions";
import { request } from "undici";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 1024, threads: 1 }
`;
const model = "builtin:tiny";
const messages = [{ role: "user" as const, content: "Tell me a story" }];
// llama-server's extension: a fixed token count, so counts can be compared exactly.
const exactly = (n: number) => ({ max_completion_tokens: n, ignore_eos: true }) as object;

function assertWellFormed(entry: ChatCompletionTokenLogprob, top: number): void {
  assert.ok(entry.logprob <= 0, `logprob ${entry.logprob}`);
  assert.equal(entry.top_logprobs.length, top);
  const lps = entry.top_logprobs.map((alt) => alt.logprob);
  assert.deepEqual(
    lps,
    [...lps].sort((a, b) => b - a),
    "alternatives most likely first",
  );
  for (const alt of entry.top_logprobs) assert.ok(alt.logprob <= 0 && Array.isArray(alt.bytes));
  const same = entry.top_logprobs.find((alt) => alt.token === entry.token);
  if (same) assert.equal(same.logprob, entry.logprob, "the sampled token's own entry agrees");
}

describe("logprobs and top_logprobs (issue 12)", () => {
  let serve: ServeProcess;
  let client: OpenAI;
  before(async () => {
    serve = await startServe({ config });
    client = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => serve.stop());

  it("chat: one entry per token; greedy picks the top alternative; bytes spell the answer", async () => {
    const out = await client.chat.completions.create({
      model,
      messages,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
      ...exactly(8),
    });
    const [choice] = out.choices;
    const content = choice?.logprobs?.content ?? [];
    assert.equal(content.length, out.usage?.completion_tokens);
    for (const entry of content) {
      assertWellFormed(entry, 3);
      assert.equal(entry.top_logprobs[0]?.token, entry.token);
      assert.equal(entry.top_logprobs[0]?.logprob, entry.logprob);
    }
    const bytes = Buffer.from(content.flatMap((entry) => entry.bytes ?? []));
    assert.equal(bytes.toString("utf8"), choice?.message.content);
  });

  it("chat: sampled (not greedy) tokens report their own logprob and 20 alternatives", async () => {
    const out = await client.chat.completions.create({
      model,
      messages,
      temperature: 1,
      seed: 5,
      logprobs: true,
      top_logprobs: 20,
      ...exactly(8),
    });
    const content = out.choices[0]?.logprobs?.content ?? [];
    assert.equal(content.length, 8);
    for (const entry of content) assertWellFormed(entry, 20);
  });

  it("chat stream: the chunks' logprobs are the same tokens as the answer's", async () => {
    const body = {
      model,
      messages,
      temperature: 0,
      logprobs: true,
      top_logprobs: 2,
      ...exactly(8),
    };
    const whole = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    const streamed: ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    assert.deepEqual(streamed, whole.choices[0]?.logprobs?.content);
  });

  it("chat without logprobs answers logprobs: null", async () => {
    const out = await client.chat.completions.create({ model, messages, ...exactly(2) });
    assert.equal(out.choices[0]?.logprobs, null);
  });

  it("completions: tokens, token_logprobs, top_logprobs and text_offset line up with the text", async () => {
    const out = await client.completions.create({
      model,
      prompt: "Once upon a time",
      max_tokens: 6,
      temperature: 0,
      logprobs: 2,
      ignore_eos: true,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    const [choice] = out.choices;
    const lp = choice?.logprobs;
    assert.ok(lp?.tokens && lp.token_logprobs && lp.top_logprobs && lp.text_offset);
    assert.equal(lp.tokens.length, 6);
    // A token holding part of a character shows U+FFFD alone; whole ones spell the text.
    if (!lp.tokens.some((t) => t.includes("\uFFFD")))
      assert.equal(lp.tokens.join(""), choice?.text);
    assert.ok(lp.token_logprobs.every((v) => v <= 0));
    lp.top_logprobs.forEach((top, k) => {
      const values = Object.values(top);
      assert.ok(values.length >= 1 && values.length <= 2);
      // Greedy: the chosen token is the most likely one.
      assert.equal(Math.max(...values), lp.token_logprobs?.[k]);
    });
    let offset = 0;
    lp.tokens.forEach((token, k) => {
      assert.equal(lp.text_offset?.[k], offset);
      offset += token.length;
    });
  });

  it("native tasks: SSE token events carry logprobs when sampling.logprobs asks", async () => {
    const admitted = await call(serve, "POST", "/v1/tasks", {
      json: {
        model_ref: model,
        prompt: "Hello",
        max_tokens: 4,
        ignore_eos: true,
        sampling: { temperature: 0, logprobs: 2 },
      },
    });
    assert.equal(admitted.status, 202, JSON.stringify(admitted.body));
    const res = await request(`${serve.http}/v1/tasks/${String(admitted.body?.task_id)}/stream`);
    const tokens = (await res.body.text())
      .split("\n\n")
      .filter((frame) => frame.startsWith("event: token\n"))
      .map((frame) => JSON.parse(frame.split("data: ")[1] ?? "{}"));
    assert.equal(tokens.length, 4);
    for (const token of tokens) {
      assert.equal(token.logprobs.top_logprobs.length, 2);
      assert.ok(token.logprobs.logprob <= 0);
      assert.equal(token.logprobs.top_logprobs[0].logprob, token.logprobs.logprob);
    }
  });
});
