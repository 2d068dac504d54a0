// The Anthropic Messages surface end to end: the official `@anthropic-ai/sdk`, unmodified, against
// a real `llama-orch serve` with AUTH_TOKEN and a real worker on the tiny model.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { request } from "undici";
import { llamaCppDir } from "../../src/common/paths.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const TOKEN = "anthropic-secret";
// The tiny model's own template has no tools; llama.cpp ships templates that do.
const TOOL_TEMPLATE = join(llamaCppDir(), "models", "templates", "Qwen-Qwen2.5-7B-Instruct.jinja");
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 2048, threads: 1,
      chat_template_file: "${TOOL_TEMPLATE}" }
`;
const model = "builtin:tiny";
const hello = [{ role: "user" as const, content: "Hello there" }];

async function apiError(call: Promise<unknown>): Promise<APIError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof APIError, `expected an APIError, got ${String(error)}`);
  return error;
}

/** The event names of a raw stream, in order, pings included (the SDK hides those). */
async function rawEventNames(serve: ServeProcess, body: object): Promise<string[]> {
  const res = await request(`${serve.http}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": TOKEN },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await res.body.text();
  return [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1] ?? "");
}

describe("Anthropic Messages surface", () => {
  let serve: ServeProcess;
  let client: Anthropic;
  before(async () => {
    serve = await startServe({ config, env: { AUTH_TOKEN: TOKEN }, token: TOKEN });
    client = new Anthropic({ baseURL: serve.http, apiKey: TOKEN, maxRetries: 0 });
  });
  after(() => serve?.stop());

  it("ANT-001 answers a Message with system, text content, stop reason and usage; unknown fields are ignored", async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 6,
      system: "You are terse.",
      messages: hello,
      metadata: { user_id: "user-42" },
      // Fields this surface does not know (a newer SDK's) are ignored, not refused.
      ...({ service_tier: "auto", frobnicate: { a: 1 } } as object),
    });
    assert.equal(message.type, "message");
    assert.equal(message.role, "assistant");
    assert.equal(message.model, model);
    assert.match(message.id, /^msg_[0-9a-f]{32}$/);
    const [block] = message.content;
    assert.equal(block?.type, "text");
    assert.ok(message.stop_reason === "end_turn" || message.stop_reason === "max_tokens");
    assert.ok(message.usage.input_tokens > 0);
    assert.ok(message.usage.output_tokens >= 1 && message.usage.output_tokens <= 6);
    if (message.stop_reason === "max_tokens") assert.equal(message.usage.output_tokens, 6);
    const logged = serve.logs.find((l) => l.msg === "messages request user");
    assert.equal(logged?.user, "user-42");
  });

  it("ANT-001 applies top_k: top_k 1 samples greedily, so two answers agree", async () => {
    const ask = () =>
      client.messages.create({ model, max_tokens: 10, temperature: 1, top_k: 1, messages: hello });
    const [a, b] = [await ask(), await ask()];
    assert.deepEqual(a.content, b.content);
  });

  it("ANT-002 streams message_start, a text block, message_delta with usage and message_stop", async () => {
    const stream = client.messages.stream({ model, max_tokens: 8, messages: hello });
    const types: string[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
        deltas += event.delta.text;
      }
    }
    const final = await stream.finalMessage();
    assert.equal(types[0], "message_start");
    assert.equal(types[1], "content_block_start");
    assert.deepEqual(types.slice(-3), ["content_block_stop", "message_delta", "message_stop"]);
    assert.ok(types.slice(2, -3).every((t) => t === "content_block_delta"));
    const [block] = final.content;
    assert.equal(block?.type === "text" ? block.text : undefined, deltas);
    assert.ok(final.usage.input_tokens > 0, "message_delta carries the prompt's count");
    assert.ok(final.usage.output_tokens >= 1);
    const names = await rawEventNames(serve, { model, max_tokens: 2, messages: hello });
    assert.ok(names.includes("ping"), names.join(","));
  });

  it("ANT-003 count_tokens counts what the same Messages request reports as input", async () => {
    const body = { model, system: "Count me.", messages: hello };
    const counted = await client.messages.countTokens(body);
    const message = await client.messages.create({ ...body, max_tokens: 1 });
    const { input_tokens, cache_read_input_tokens } = message.usage;
    assert.equal(counted.input_tokens, input_tokens + (cache_read_input_tokens ?? 0));
  });

  it("ANT-004 an unknown model is 404 not_found_error, and the SDK with its retries sends it once", async () => {
    const retrying = new Anthropic({ baseURL: serve.http, apiKey: TOKEN });
    const seen = () =>
      serve.logs.filter((l) => l.msg === "http request" && l.status === 404).length;
    const before = seen();
    const calls = [
      () => retrying.messages.create({ model: "claude-nope", max_tokens: 4, messages: hello }),
      () => retrying.messages.countTokens({ model: "claude-nope", messages: hello }),
    ];
    for (const attempt of calls) {
      const error = await apiError(attempt());
      assert.equal(error.status, 404);
      assert.equal((error.error as { error: { type: string } }).error.type, "not_found_error");
      assert.match(error.message, /MODEL_NOT_FOUND.*claude-nope/);
      assert.ok(error.requestID, "request-id header");
    }
    for (let i = 0; i < 100 && seen() - before < calls.length; i += 1) await sleep(50);
    assert.equal(seen() - before, calls.length, "one request per call: no retries");
  });

  it("ANT-004 refuses bad requests with 400 invalid_request_error naming what is wrong", async () => {
    const zero = await apiError(client.messages.create({ model, max_tokens: 0, messages: hello }));
    assert.equal(zero.status, 400);
    assert.equal((zero.error as { error: { type: string } }).error.type, "invalid_request_error");
    const noTokens = await apiError(
      client.messages.create({ model, max_tokens: 4, messages: hello, top_p: 0 }),
    );
    assert.equal(noTokens.status, 400, "top_p is in (0, 1]");
    const image = await apiError(
      client.messages.create({
        model,
        max_tokens: 4,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "what is this?" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } },
            ],
          },
        ],
      }),
    );
    assert.equal(image.status, 400);
    assert.match(image.message, /messages\[0\]\.content\[1\]: image blocks cannot be read/);
  });

  it("ANT-005 takes the token as x-api-key on /v1/messages only; a wrong one is authentication_error", async () => {
    const wrong = new Anthropic({ baseURL: serve.http, apiKey: "nope", maxRetries: 0 });
    const error = await apiError(wrong.messages.create({ model, max_tokens: 2, messages: hello }));
    assert.equal(error.status, 401);
    assert.equal((error.error as { error: { type: string } }).error.type, "authentication_error");
    const native = await call(serve, "POST", "/v1/tasks", {
      json: { model_ref: model, prompt: "x", max_tokens: 1 },
      headers: { "x-api-key": TOKEN },
    });
    assert.equal(native.status, 401, "x-api-key is not a credential on the native API");
    const bearer = new Anthropic({ baseURL: serve.http, authToken: TOKEN, maxRetries: 0 });
    const ok = await bearer.messages.create({ model, max_tokens: 1, messages: hello });
    assert.equal(ok.type, "message");
  });
  it("ANT-001 tool_choice forces a tool call: a tool_use block with parsed input, streamed too; its result is taken back", async () => {
    const tools = [
      {
        name: "get_weather",
        description: "The weather in a city",
        input_schema: {
          type: "object" as const,
          properties: { city: { type: "string", enum: ["Oslo", "Paris"] } },
          required: ["city"],
        },
      },
    ];
    const ask = {
      model,
      max_tokens: 128,
      tools,
      messages: [{ role: "user" as const, content: "Weather in Oslo?" }],
    };
    const forced = { type: "tool" as const, name: "get_weather" };
    const message = await client.messages.create({ ...ask, tool_choice: forced });
    assert.equal(message.stop_reason, "tool_use", JSON.stringify(message.content));
    const use = message.content.find((b) => b.type === "tool_use");
    assert.ok(use && use.type === "tool_use");
    assert.equal(use.name, "get_weather");
    assert.ok(
      ["Oslo", "Paris"].includes((use.input as { city: string }).city),
      JSON.stringify(use.input),
    );

    const stream = client.messages.stream({ ...ask, tool_choice: forced });
    const deltas = new Map<number, string>();
    let fragments = 0;
    for await (const event of stream) {
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") {
        deltas.set(event.index, (deltas.get(event.index) ?? "") + event.delta.partial_json);
        fragments += 1;
      }
    }
    // The input streams as the model writes it, not in one piece at the end.
    assert.ok(fragments > 1, `input in ${fragments} fragment(s)`);
    const final = await stream.finalMessage();
    const uses = final.content.flatMap((b, i) => (b.type === "tool_use" ? [[i, b] as const] : []));
    assert.ok(uses.length >= 1, JSON.stringify(final.content));
    for (const [index, block] of uses) {
      assert.equal(block.name, "get_weather");
      // Calls stream as they are written: the last, if max_tokens cut it off, ends mid-input.
      if (index === uses.at(-1)?.[0] && final.usage.output_tokens >= ask.max_tokens) continue;
      assert.deepEqual(block.input, JSON.parse(deltas.get(index) ?? ""));
    }
    assert.ok(
      ["tool_use", "max_tokens"].includes(final.stop_reason ?? ""),
      final.stop_reason ?? "",
    );

    const answer = await client.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: "assistant", content: [use] },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: use.id, content: "4 C, clear" }],
        },
      ],
      tool_choice: { type: "none" },
      max_tokens: 4,
    });
    assert.equal(answer.type, "message");
    assert.equal(answer.content[0]?.type, "text");
  });
});
