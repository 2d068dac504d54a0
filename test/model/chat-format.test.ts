// Chat formats through llama.cpp common on the tiny model: tools and JSON schema become grammars
// that even random weights follow, and the answer parses back into tool calls; penalties and bias.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import { llamaCppDir } from "../../src/common/paths.js";
import type { Engine } from "../../src/engine/engine.js";
import type { ChatRender, SubmitRequest } from "../../src/engine/types.js";
import { loadTiny } from "../support/tiny.js";

const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: JSON.stringify({
    type: "object",
    properties: { city: { type: "string", maxLength: 12 } },
    required: ["city"],
  }),
};

/** Qwen 2.5's template (tools as <tool_call> JSON), shipped with the pinned llama.cpp. */
const toolTemplate = readFileSync(
  join(llamaCppDir(), "models", "templates", "Qwen-Qwen2.5-7B-Instruct.jinja"),
  "utf8",
);

function answerTo(render: ChatRender, seed: number): SubmitRequest {
  return {
    prompt: render.prompt,
    maxTokens: 96,
    sampling: { temperature: 0.8, seed },
    grammar: render.grammar,
    grammarLazy: render.grammarLazy,
    grammarTriggers: render.grammarTriggers,
    grammarPrefill: render.grammarPrefill,
    stop: render.stops,
  };
}

describe("chat formats (llama.cpp common)", () => {
  let engine: Engine;
  let tooled: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 2 });
    tooled = await loadTiny({ slots: 2, chatTemplate: toolTemplate });
  });
  after(async () => {
    await engine.dispose();
    await tooled.dispose();
  });

  it("renders tool results and earlier calls into the prompt", () => {
    const { prompt } = tooled.renderChat({
      messages: [
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }],
        },
        { role: "tool", content: "sunny, 21C", toolCallId: "call_1", name: "get_weather" },
      ],
      tools: [weather],
    });
    assert.match(prompt, /Weather in Paris\?/);
    assert.match(prompt, /sunny, 21C/);
    assert.match(prompt, /get_weather/);
  });

  it("forces a parsable tool call with tool_choice required, even from random weights", async () => {
    const render = tooled.renderChat({
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weather],
      toolChoice: "required",
    });
    assert.notEqual(render.grammar, "");
    for (const seed of [1]) {
      const { text } = await tooled.submit(answerTo(render, seed)).result();
      const parsed = tooled.parseChat(text, render.parser);
      assert.equal(parsed.toolCalls.length >= 1, true, `seed ${seed}: ${text}`);
      const [call] = parsed.toolCalls;
      assert.equal(call?.name, "get_weather");
      assert.equal(typeof JSON.parse(call?.arguments ?? "").city, "string");
    }
  });

  it("constrains the answer to a JSON schema: it parses and validates", async () => {
    // Bounded values: random weights would otherwise write one endless string.
    const schema = {
      type: "object",
      properties: {
        answer: { type: "string", maxLength: 12 },
        score: { type: "integer", minimum: 0, maximum: 10 },
      },
      required: ["answer", "score"],
      additionalProperties: false,
    };
    const render = engine.renderChat({
      messages: [{ role: "user", content: "Rate it" }],
      jsonSchema: JSON.stringify(schema),
    });
    const validate = new Ajv().compile(schema);
    for (const seed of [4, 5]) {
      const { text, end } = await engine.submit(answerTo(render, seed)).result();
      assert.equal(end.finishReason, "stop", text);
      const content = engine.parseChat(text, render.parser).content;
      assert.ok(validate(JSON.parse(content)), `${content}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it("parses a plain answer as content with no tool calls", () => {
    const render = engine.renderChat({ messages: [{ role: "user", content: "Hi" }] });
    assert.deepEqual(engine.parseChat("just words", render.parser), {
      content: "just words",
      reasoningContent: "",
      toolCalls: [],
    });
  });

  it("refuses tools on a template without tool support, saying how to fix it", () => {
    assert.throws(
      () =>
        engine.renderChat({
          messages: [{ role: "user", content: "Hi" }],
          tools: [weather],
          toolChoice: "required",
        }),
      (error: Error & { code?: string }) =>
        error.code === "INVALID_PARAMS" && /chat_template_file/.test(error.message),
    );
  });

  it("bans a token with logit bias -100 and changes output with frequency penalty", async () => {
    const base: SubmitRequest = {
      prompt: "Once upon a time",
      maxTokens: 24,
      sampling: { temperature: 0 },
      ignoreEos: true,
    };
    const plain = await engine.submit(base).result();
    const banned = plain.tokens[0] as number;
    const biased = await engine
      .submit({ ...base, sampling: { temperature: 0, logitBias: [{ token: banned, bias: -100 }] } })
      .result();
    assert.ok(!biased.tokens.includes(banned));
    const penalized = await engine
      .submit({ ...base, sampling: { temperature: 0, frequencyPenalty: 2, presencePenalty: 2 } })
      .result();
    assert.notDeepEqual(penalized.tokens, plain.tokens);
  });
});
