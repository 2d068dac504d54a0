// The whole OpenAI request schema (issue 12) with the official, unmodified `openai` client against
// a real `serve`: every field accepted or refused by name, n choices, tools, JSON schema.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import OpenAI, { APIError } from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { llamaCppDir } from "../../src/common/paths.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

// Qwen 2.5's template (shipped with the pinned llama.cpp): the tiny model's own has no tools.
const template = join(llamaCppDir(), "models", "templates", "Qwen-Qwen2.5-7B-Instruct.jinja");
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - id: cpu-0
    model: "builtin:tiny"
    backend: cpu
    slots: 2
    context_size: 2048
    threads: 1
    chat_template_file: "${template}"
`;
const model = "builtin:tiny";

const weather: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", maxLength: 10 } },
      required: ["city"],
    },
  },
};

async function apiError(call: Promise<unknown>): Promise<APIError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof APIError, `expected an APIError, got ${String(error)}`);
  return error;
}

describe("OpenAI request schema, tools and JSON schema (issue 12)", () => {
  let serve: ServeProcess;
  let client: OpenAI;
  before(async () => {
    serve = await startServe({ config });
    client = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => serve.stop());

  it("accepts every field an SDK sends, ignores unknown ones, answers n choices", async () => {
    const request = {
      model,
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Hello" }] },
      ],
      max_completion_tokens: 6,
      n: 2,
      temperature: 0.7,
      top_p: 0.9,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      logit_bias: { "13": -100 },
      seed: 11,
      stop: ["\n\n"],
      user: "user-42",
      store: false,
      metadata: { team: "a" },
      service_tier: "auto",
      parallel_tool_calls: false,
      a_field_from_a_newer_sdk: true,
    } as ChatCompletionCreateParamsNonStreaming;
    const out = await client.chat.completions.create(request);
    assert.deepEqual(
      out.choices.map((c) => c.index),
      [0, 1],
    );
    assert.ok(out.choices.every((c) => typeof c.message.content === "string"));
    const usage = out.usage;
    assert.ok(usage && usage.completion_tokens <= 12 && usage.prompt_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  it("refuses fields that cannot apply with a 400 naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "What is this?" },
                { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } },
              ],
            },
          ],
        },
        "messages[0].content[1].type",
      ],
      [{ top_logprobs: 2 }, "top_logprobs"],
      [{ n: 3 }, "n"],
      [{ audio: { voice: "alloy", format: "mp3" } }, "audio"],
      [
        { tools: [weather], tool_choice: { type: "function", function: { name: "nope" } } },
        "tool_choice",
      ],
    ];
    for (const [fields, param] of cases) {
      const body = { model, messages: [{ role: "user", content: "hi" }], ...fields };
      const error = await apiError(
        client.chat.completions.create(body as unknown as ChatCompletionCreateParamsNonStreaming),
      );
      assert.equal(error.status, 400, param);
      assert.equal(error.param, param);
      assert.equal(error.code, "INVALID_PARAMS");
    }
  });

  it("forces a tool call with tool_choice; the call parses and the result goes back in", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: "Weather in Paris?" },
    ];
    const out = await client.chat.completions.create({
      model,
      messages,
      tools: [weather],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      max_completion_tokens: 96,
      seed: 1,
    });
    const [choice] = out.choices;
    assert.equal(choice?.finish_reason, "tool_calls");
    const call = choice.message.tool_calls?.[0];
    assert.ok(call && call.type === "function");
    assert.equal(call.function.name, "get_weather");
    assert.equal(typeof JSON.parse(call.function.arguments).city, "string");
    assert.ok(call.id.length > 0);
    const next = await client.chat.completions.create({
      model,
      messages: [
        ...messages,
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "sunny, 21C" },
      ],
      tools: [weather],
      tool_choice: "none",
      max_completion_tokens: 4,
    });
    assert.equal(typeof next.choices[0]?.message.content, "string");
  });

  it("streams a forced tool call as it is written: deltas reassemble to the non-streamed call", async () => {
    const body = {
      model,
      messages: [{ role: "user" as const, content: "Weather in Oslo?" }],
      tools: [weather],
      tool_choice: "required" as const,
      parallel_tool_calls: false,
      max_completion_tokens: 96,
      seed: 1,
    };
    const whole = await client.chat.completions.create(body);
    const expected = (whole.choices[0]?.message.tool_calls ?? []).map((call) => {
      assert.ok(call.type === "function");
      return { name: call.function.name, arguments: call.function.arguments };
    });
    assert.ok(expected.length >= 1);
    const stream = await client.chat.completions.create({
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    // OpenAI's shape: a call's first delta has its index, id, type and name; the rest add
    // arguments text to that index.
    const calls: { name: string; arguments: string }[] = [];
    const pieces: number[] = [];
    for (const d of deltas) {
      if (d.index === calls.length) {
        assert.ok(d.id && d.type === "function" && d.function?.name, JSON.stringify(d));
        calls.push({ name: d.function.name, arguments: "" });
        pieces.push(0);
      } else {
        assert.equal(d.index, calls.length - 1, "deltas continue the last call");
        assert.ok(d.id === undefined && d.function?.name === undefined, JSON.stringify(d));
      }
      const call = calls[d.index];
      if (call) call.arguments += d.function?.arguments ?? "";
      pieces[d.index] = (pieces[d.index] ?? 0) + 1;
    }
    assert.deepEqual(calls, expected);
    assert.equal(calls[0]?.name, "get_weather");
    assert.equal(typeof JSON.parse(calls[0]?.arguments ?? "").city, "string");
    assert.ok((pieces[0] ?? 0) > 1, `the first call in ${pieces[0]} chunk(s)`);
    const finish = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean);
    assert.deepEqual(finish, ["tool_calls"]);
    assert.ok(chunks.at(-1)?.usage && chunks.at(-1)?.choices.length === 0);
  });

  it("answers JSON that parses and validates against response_format's json_schema", async () => {
    const schema = {
      type: "object",
      properties: {
        answer: { type: "string", maxLength: 10 },
        score: { type: "integer", minimum: 0, maximum: 9 },
      },
      required: ["answer", "score"],
      additionalProperties: false,
    };
    const out = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Rate it" }],
      response_format: { type: "json_schema", json_schema: { name: "rating", schema } },
      max_completion_tokens: 96,
      seed: 3,
    });
    const content = out.choices[0]?.message.content ?? "";
    const validate = new Ajv().compile(schema);
    assert.ok(validate(JSON.parse(content)), content);
  });

  it("streams n choices by index, then one usage chunk counting the prompt once", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Hi" }],
      n: 2,
      max_completion_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const finished = new Set<number>();
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) if (c.finish_reason) finished.add(c.index);
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual([...finished].sort(), [0, 1]);
    assert.ok(usage && usage.completion_tokens <= 10 && usage.prompt_tokens > 0);
  });

  it("completions: echo, n and logit_bias; suffix refused by name", async () => {
    const out = await client.completions.create({
      model,
      prompt: "Once upon a time",
      max_tokens: 4,
      n: 2,
      echo: true,
      logit_bias: { "13": -100 },
    });
    assert.equal(out.choices.length, 2);
    assert.ok(out.choices.every((c) => c.text.startsWith("Once upon a time")));
    const error = await apiError(
      client.completions.create({ model, prompt: "a", suffix: "b", max_tokens: 2 }),
    );
    assert.equal(error.param, "suffix");
  });
});
