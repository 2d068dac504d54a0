// The Anthropic translation both ways: Messages bodies into the shared chat request (system,
// tool_use, tool_result, tool_choice, refused blocks) and task ends into Messages shapes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { toChatTemplateRequest } from "../../src/gateway/chat-request.js";
import {
  messageMeta,
  stopReason,
  toAnthropicError,
  toMessage,
} from "../../src/gateway/translate-anthropic.js";
import {
  type MessagesRequest,
  toChatRequest,
} from "../../src/gateway/translate-anthropic-request.js";
import { type End, FinishReason } from "../../src/gen/llama_orch/v1/common.js";

const weather = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } } },
};

function body(extra: Partial<MessagesRequest>): MessagesRequest {
  return {
    model: "m",
    max_tokens: 32,
    stream: false,
    messages: [{ role: "user", content: "hi" }],
    ...extra,
  } as MessagesRequest;
}

function end(partial: Partial<End>): End {
  return {
    tokensIn: 10,
    tokensOut: 4,
    decodeMs: 1,
    decodeTimeMs: 1,
    finishReason: FinishReason.FINISH_REASON_STOP,
    cachedTokens: 0,
    ttftMs: 1,
    promptMs: 1,
    chatDeltas: [],
    ...partial,
  };
}

describe("Anthropic request -> chat request", () => {
  it("ANT-001 makes system blocks a system turn and carries sampling, stops, user", () => {
    const chat = toChatRequest(
      body({
        system: [
          { type: "text", text: "Be terse." },
          { type: "text", text: "Use metric units.", cache_control: { type: "ephemeral" } },
        ],
        temperature: 0.5,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ["\n\nHuman:"],
        metadata: { user_id: "u-1" },
      }),
      "11111111-1111-4111-8111-111111111111",
    );
    assert.deepEqual(chat.messages, [
      { role: "system", content: "Be terse.\nUse metric units." },
      { role: "user", content: "hi" },
    ]);
    assert.deepEqual(chat.sampling, { temperature: 0.5, topP: 0.9, topK: 40 });
    assert.deepEqual(chat.stop, ["\n\nHuman:"]);
    assert.equal(chat.maxTokens, 32);
    assert.equal(chat.user, "u-1");
    assert.equal(chat.sessionId, "11111111-1111-4111-8111-111111111111");
    assert.deepEqual(chat.toolChoice, { mode: "none" }, "no tools: nothing to call");
  });

  it("ANT-001 turns tool_use into the assistant's calls and tool_result into tool turns", () => {
    const chat = toChatRequest(
      body({
        tools: [weather],
        messages: [
          { role: "user", content: "Weather in Oslo?" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "call it", signature: "s" },
              { type: "text", text: "Checking." },
              { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
            ],
          },
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: "toolu_1",
                content: [{ type: "text", text: "4 C" }],
              },
              { type: "text", text: "And tomorrow?" },
            ],
          },
        ],
      } as Partial<MessagesRequest>),
      undefined,
    );
    assert.deepEqual(chat.messages, [
      { role: "user", content: "Weather in Oslo?" },
      {
        role: "assistant",
        content: "Checking.",
        toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: '{"city":"Oslo"}' }],
      },
      { role: "tool", content: "4 C", toolCallId: "toolu_1", name: "get_weather" },
      { role: "user", content: "And tomorrow?" },
    ]);
    assert.deepEqual(chat.tools, [
      { name: "get_weather", description: "Weather for a city", parameters: weather.input_schema },
    ]);
    assert.deepEqual(chat.toolChoice, { mode: "auto" });
    assert.equal(chat.parallelToolCalls, true);
  });

  it("ANT-001 says a failed tool result is an error, in the text the template gets", () => {
    const chat = toChatRequest(
      body({
        messages: [
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "t", content: "boom", is_error: true }],
          },
        ],
      } as Partial<MessagesRequest>),
      undefined,
    );
    assert.deepEqual(chat.messages, [{ role: "tool", content: "Error: boom", toolCallId: "t" }]);
  });

  it("ANT-001 maps tool_choice auto/any/tool/none onto the chat request and the template", () => {
    const cases: [MessagesRequest["tool_choice"], string][] = [
      [{ type: "auto" }, "auto"],
      [{ type: "any" }, "required"],
      [{ type: "none" }, "none"],
      [{ type: "tool", name: "get_weather", disable_parallel_tool_use: true }, "required"],
    ];
    for (const [choice, template] of cases) {
      const chat = toChatRequest(body({ tools: [weather], tool_choice: choice }), undefined);
      assert.equal(toChatTemplateRequest(chat).toolChoice, template, JSON.stringify(choice));
    }
    const forced = toChatRequest(
      body({ tools: [weather], tool_choice: { type: "tool", name: "get_weather" } }),
      undefined,
    );
    assert.deepEqual(forced.toolChoice, { mode: "function", name: "get_weather" });
    const single = toChatRequest(
      body({ tools: [weather], tool_choice: { type: "any", disable_parallel_tool_use: true } }),
      undefined,
    );
    assert.equal(single.parallelToolCalls, false);
  });

  it("ANT-004 refuses what cannot apply, naming the field", () => {
    const refused: [Partial<MessagesRequest>, RegExp][] = [
      [{ tool_choice: { type: "any" } }, /tool_choice: type any needs at least one tool/],
      [
        { tools: [weather], tool_choice: { type: "tool", name: "other" } },
        /tool_choice.name: "other" is not one of tools \(get_weather\)/,
      ],
      [
        {
          messages: [
            {
              role: "user",
              content: [{ type: "document", source: { type: "text", data: "x" } }],
            },
          ],
        } as unknown as Partial<MessagesRequest>,
        /messages\[0\]\.content\[0\]: document blocks cannot be read/,
      ],
      [
        {
          messages: [{ role: "assistant", content: [{ type: "tool_result", tool_use_id: "t" }] }],
        } as Partial<MessagesRequest>,
        /messages\[0\]\.content\[0\]: tool_result blocks belong in a user message/,
      ],
    ];
    for (const [extra, message] of refused) {
      assert.throws(
        () => toChatRequest(body(extra), undefined),
        (error: unknown) =>
          error instanceof OrchError &&
          error.code === "INVALID_PARAMS" &&
          message.test(error.message),
      );
    }
  });
});

describe("task end -> Anthropic Message", () => {
  const meta = messageMeta("00000000-0000-4000-8000-000000000001", "m");

  it("ANT-001 answers text with end_turn or max_tokens, and usage apart from cache reads", () => {
    const message = toMessage(meta, "Hello", end({ cachedTokens: 6 }));
    assert.equal(message.id, "msg_00000000000040008000000000000001");
    assert.deepEqual(message.content, [{ type: "text", text: "Hello" }]);
    assert.equal(message.stop_reason, "end_turn");
    assert.deepEqual(message.usage, {
      input_tokens: 4,
      output_tokens: 4,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 6,
    });
    const cut = end({ finishReason: FinishReason.FINISH_REASON_LENGTH });
    assert.equal(stopReason(cut), "max_tokens");
  });

  it("ANT-001 answers parsed tool calls as tool_use blocks with stop_reason tool_use", () => {
    const chat = {
      content: "",
      reasoningContent: "",
      toolCalls: [
        { id: "", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { id: "call_7", name: "get_weather", arguments: "not json" },
      ],
    };
    const message = toMessage(meta, '<tool_call>{"name":...}', end({ chat }));
    assert.equal(message.stop_reason, "tool_use");
    assert.deepEqual(message.content, [
      {
        type: "tool_use",
        id: "toolu_00000000000040008000000000000001_0",
        name: "get_weather",
        input: { city: "Oslo" },
      },
      { type: "tool_use", id: "call_7", name: "get_weather", input: { arguments: "not json" } },
    ]);
  });

  it("ANT-004 maps registry codes to Anthropic error types by HTTP status", () => {
    const types = [
      ["MODEL_NOT_FOUND", "not_found_error"],
      ["INVALID_PARAMS", "invalid_request_error"],
      ["PROMPT_TOO_LONG", "invalid_request_error"],
      ["ADMISSION_REJECT", "rate_limit_error"],
      ["POOL_UNREADY", "overloaded_error"],
      ["PAYLOAD_TOO_LARGE", "request_too_large"],
      ["INTERNAL", "api_error"],
    ] as const;
    for (const [code, type] of types) {
      const body = toAnthropicError(new OrchError(code, "why"));
      assert.deepEqual(body, { type: "error", error: { type, message: `${code}: why` } });
    }
  });
});
