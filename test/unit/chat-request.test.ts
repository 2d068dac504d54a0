// The surface-neutral chat request: what the worker's template gets and what the task carries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ChatRequest,
  toChatTask,
  toChatTemplateRequest,
} from "../../src/gateway/chat-request.js";
import { ParamError, toChatRequest } from "../../src/gateway/translate-openai-request.js";

const base: ChatRequest = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  tools: [
    { name: "a", description: "first", parameters: { type: "object" } },
    { name: "b", description: "second" },
  ],
  toolChoice: { mode: "auto" },
  parallelToolCalls: true,
  responseFormat: { type: "text" },
  sampling: {},
  maxTokens: 8,
  stop: ["END"],
  ignoreEos: false,
};

describe("chat request -> template request and task", () => {
  it("a named tool choice is required of that tool alone; none sends no tools", () => {
    const named = toChatTemplateRequest({ ...base, toolChoice: { mode: "function", name: "b" } });
    assert.equal(named.toolChoice, "required");
    assert.deepEqual(
      named.tools.map((t) => [t.name, t.parametersJson]),
      [["b", ""]],
    );
    const none = toChatTemplateRequest({ ...base, toolChoice: { mode: "none" } });
    assert.deepEqual(none.tools, []);
  });

  it("json and json_schema formats become the schema the grammar follows", () => {
    const json = toChatTemplateRequest({ ...base, responseFormat: { type: "json" } });
    assert.deepEqual(JSON.parse(json.jsonSchema), { type: "object" });
    const schema = { type: "object", properties: { x: { type: "integer" } } };
    const strict = toChatTemplateRequest({
      ...base,
      responseFormat: { type: "json_schema", schema },
    });
    assert.deepEqual(JSON.parse(strict.jsonSchema), schema);
    assert.equal(toChatTemplateRequest(base).jsonSchema, "");
  });

  it("the task carries the turns for the worker to render, not a prompt rendered before", () => {
    const task = toChatTask({
      ...base,
      sampling: { logitBias: new Map([[5, -100]]), presencePenalty: 1 },
      seed: 3,
      stop: ["END"],
    });
    assert.equal(task.prompt, "", "no prompt: the control plane has the worker render the chat");
    assert.equal(task.grammar, "");
    assert.deepEqual(task.chat, toChatTemplateRequest(base));
    assert.deepEqual(task.stop, ["END"]);
    assert.equal(task.chatFormat, undefined);
    // A stream with tools asks the worker for the parsed answer's deltas.
    assert.equal(toChatTask(base, true).chatFormat?.streamDeltas, true);
    assert.equal(task.seed, 3);
    assert.deepEqual(task.sampling?.logitBias, { entries: [{ token: 5, bias: -100 }] });
    assert.equal(task.sampling?.presencePenalty, 1);
  });
});

describe("OpenAI chat body -> chat request", () => {
  it("flattens text parts, keeps tool calls and tool turns, prefers max_completion_tokens", () => {
    const chat = toChatRequest(
      {
        model: "m",
        messages: [
          { role: "developer", content: "sys" },
          {
            role: "user",
            content: [
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c", content: "ok" },
        ],
        max_tokens: 4,
        max_completion_tokens: 9,
        stream: false,
        ignore_eos: false,
        n: 1,
      },
      undefined,
    );
    assert.deepEqual(chat.messages, [
      { role: "system", content: "sys" },
      { role: "user", content: "a\nb" },
      { role: "assistant", content: "", toolCalls: [{ id: "c", name: "f", arguments: "{}" }] },
      { role: "tool", content: "ok", toolCallId: "c", name: undefined },
    ]);
    assert.equal(chat.maxTokens, 9);
  });

  it("refuses a tool turn without the call it answers, naming the field", () => {
    assert.throws(
      () =>
        toChatRequest(
          {
            model: "m",
            messages: [{ role: "tool", content: "ok" }],
            stream: false,
            ignore_eos: false,
            n: 1,
          },
          undefined,
        ),
      (e: unknown) => e instanceof ParamError && e.param === "messages[0].tool_call_id",
    );
  });
});
