// The worker's generation translation (request, token batches, end): every field, through the wire.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EndEvent } from "../../src/engine/types.js";
import { End, FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import { GenerateEvent, GenerateRequest } from "../../src/gen/llama_orch/v1/worker.js";
import { toEndEvent, toSubmitRequest, toTokenBatchEvent } from "../../src/worker/convert.js";
import { assertEveryField, overWire } from "../support/proto-wire.js";

/** Every sampling knob set, each to a value other than the engine's default. */
const sampling = {
  temperature: 0.5,
  topK: 40,
  topP: 0.875,
  minP: 0.125,
  repeatPenalty: 1.25,
  repeatLastN: 16,
  seed: 7,
  presencePenalty: 0.5,
  frequencyPenalty: -0.25,
  logprobs: 3,
};
const logitBias = [{ token: 3, bias: -100 }];

const fullRequest: GenerateRequest = {
  taskId: "task-1",
  prompt: "Once upon a time",
  maxTokens: 17,
  sampling: { ...sampling, logitBias: { entries: logitBias } },
  stop: ["\n\n", "END"],
  grammar: 'root ::= "a"',
  strict: true,
  sessionKey: "session-9",
  ignoreEos: true,
  chatFormat: {
    grammarLazy: true,
    grammarTriggers: ["<tool_call>"],
    parser: "{}",
    grammarPrefill: "<|assistant|>\n",
    streamDeltas: true,
  },
  cacheTenant: "id:token:abc123",
  jsonSchema: '{"type":"object"}',
  embeddingInputs: [{ text: "to embed", tokens: [] }],
  promptTokens: [],
};

describe("GenerateRequest -> SubmitRequest", () => {
  it("carries every field (task_id stays with the worker)", () => {
    // Embedding inputs go to engine.embed (toEmbedInputs), never to a generation submit; prompt
    // tokens replace the text prompt (the next test).
    assertEveryField(GenerateRequest, fullRequest, ["embeddingInputs", "promptTokens"]);
    assert.deepEqual(toSubmitRequest(overWire(GenerateRequest, fullRequest)), {
      prompt: "Once upon a time",
      maxTokens: 17,
      sampling: { ...sampling, logitBias },
      stop: ["\n\n", "END"],
      grammar: 'root ::= "a"',
      jsonSchema: '{"type":"object"}',
      grammarLazy: true,
      grammarTriggers: ["<tool_call>"],
      grammarPrefill: "<|assistant|>\n",
      strict: true,
      sessionKey: "session-9",
      ignoreEos: true,
      cacheTenant: "id:token:abc123",
    });
  });

  it("a prompt prepared as token ids is submitted as those ids, not tokenized again", () => {
    const request = GenerateRequest.fromPartial({
      prompt: "hi",
      promptTokens: [1, 7, 9],
      maxTokens: 3,
    });
    assert.deepEqual(toSubmitRequest(overWire(GenerateRequest, request)), {
      prompt: [1, 7, 9],
      maxTokens: 3,
    });
  });

  it("leaves unset fields out, so the engine's defaults apply", () => {
    const request = GenerateRequest.fromPartial({ prompt: "hi", maxTokens: 3 });
    assert.deepEqual(toSubmitRequest(overWire(GenerateRequest, request)), {
      prompt: "hi",
      maxTokens: 3,
    });
  });

  it("passes only the sampling fields that were set; seed 0 and temperature 0 are set", () => {
    const request = GenerateRequest.fromPartial({
      prompt: "hi",
      maxTokens: 1,
      sampling: { temperature: 0, seed: 0 },
    });
    assert.deepEqual(toSubmitRequest(overWire(GenerateRequest, request)).sampling, {
      temperature: 0,
      seed: 0,
    });
  });
});

const end: EndEvent = {
  type: "end",
  finishReason: "length",
  tokensIn: 12,
  tokensOut: 5,
  cachedTokens: 4,
  promptMs: 3.4,
  decodeMs: 20.6,
  ttftMs: 7.5,
  grammarResamples: 2,
};

describe("engine events -> GenerateEvent", () => {
  it("one step's tokens travel as one message, each keeping its text, index and id, in order", () => {
    const event = overWire(
      GenerateEvent,
      toTokenBatchEvent([
        { type: "token", id: 42, text: "ab", index: 3 },
        { type: "token", id: 7, text: "c", index: 4 },
      ]),
    );
    assert.deepEqual(event, {
      event: {
        $case: "tokens",
        value: {
          tokens: [
            { t: "ab", i: 3, id: 42, logprobs: undefined, chat: [] },
            { t: "c", i: 4, id: 7, logprobs: undefined, chat: [] },
          ],
        },
      },
    });
  });

  it("a token carries its logprobs (bytes exact) and chat deltas when there are some", () => {
    const logprobs = {
      logprob: -0.5,
      bytes: new Uint8Array([0xe2, 0x82]),
      top: [{ id: 42, logprob: -0.5, bytes: new Uint8Array([0xe2, 0x82]) }],
    };
    const delta = {
      content: "",
      reasoningContent: "",
      toolCallIndex: 0,
      id: "",
      name: "f",
      arguments: '{"a',
    };
    const event = overWire(
      GenerateEvent,
      toTokenBatchEvent([{ type: "token", id: 42, text: "", index: 0, logprobs }], [[delta]]),
    );
    assert.equal(event.event?.$case, "tokens");
    const value = event.event.value.tokens[0];
    assert.ok(value);
    assert.deepEqual([...(value.logprobs?.bytes ?? [])], [0xe2, 0x82]);
    assert.deepEqual(
      value.logprobs?.top.map((alt) => [alt.id, alt.logprob, [...alt.bytes]]),
      [[42, -0.5, [0xe2, 0x82]]],
    );
    assert.equal(value.logprobs?.logprob, -0.5);
    assert.deepEqual(value.chat, [delta]);
  });

  it("an end carries every count and timing, decode_ms twice, in whole milliseconds", () => {
    const chat = {
      content: "hi",
      reasoningContent: "hm",
      toolCalls: [{ id: "c1", name: "f", arguments: "{}" }],
    };
    const chatDeltas = [
      { content: "hi", reasoningContent: "", toolCallIndex: -1, id: "", name: "", arguments: "" },
    ];
    const event = overWire(GenerateEvent, toEndEvent(end, { chat, chatDeltas }));
    assert.equal(event.event?.$case, "end");
    const value = event.event.value;
    assertEveryField(End, value, []);
    assert.deepEqual(value, {
      tokensIn: 12,
      tokensOut: 5,
      decodeMs: 21,
      decodeTimeMs: 21,
      finishReason: FinishReason.FINISH_REASON_LENGTH,
      cachedTokens: 4,
      ttftMs: 8,
      promptMs: 3,
      chat,
      chatDeltas,
    });
  });

  it("maps each finish reason once", () => {
    const expected = {
      stop: FinishReason.FINISH_REASON_STOP,
      length: FinishReason.FINISH_REASON_LENGTH,
      cancelled: FinishReason.FINISH_REASON_CANCELLED,
    } as const;
    for (const [reason, proto] of Object.entries(expected)) {
      const event = toEndEvent({ ...end, finishReason: reason as keyof typeof expected });
      assert.equal(event.event?.$case === "end" && event.event.value.finishReason, proto);
    }
  });

  it("an engine failure becomes the terminal error event with its registry code", () => {
    const failed: EndEvent = {
      ...end,
      finishReason: "error",
      error: { code: "ENGINE_BUSY", message: "too many sequences waiting" },
    };
    const event = overWire(GenerateEvent, toEndEvent(failed, { poolId: "gpu0" }));
    assert.deepEqual(event.event, {
      $case: "error",
      value: {
        code: "ENGINE_BUSY",
        message: "too many sequences waiting",
        retriable: true,
        retryAfterMs: undefined,
        engine: "llamacpp",
        poolId: "gpu0",
        policyLabel: "",
      },
    });
    const unknown = toEndEvent({ ...failed, error: { code: "SOMETHING_NEW", message: "x" } });
    assert.equal(unknown.event?.$case === "error" && unknown.event.value.code, "INTERNAL");
  });
});
