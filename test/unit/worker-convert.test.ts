// The worker's one proto <-> engine translation: every field of every message, through the wire.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GpuProbe } from "../../src/engine/nvml.js";
import type { EndEvent, EngineStats, ModelInfo } from "../../src/engine/types.js";
import {
  End,
  FinishReason,
  ModelInfo as ProtoModelInfo,
} from "../../src/gen/llama_orch/v1/common.js";
import {
  GenerateEvent,
  GenerateRequest,
  Telemetry,
  WorkerDescription,
} from "../../src/gen/llama_orch/v1/worker.js";
import {
  toEndEvent,
  toSubmitRequest,
  toTelemetry,
  toTokenEvent,
  toWorkerDescription,
} from "../../src/worker/convert.js";

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
  fromPartial(object: object): T;
}

function overWire<T>(codec: Codec<T>, message: T): T {
  return codec.decode(codec.encode(message).finish());
}

/** Fails when the proto grows a field this translation does not fill. */
function assertEveryField<T extends object>(codec: Codec<T>, message: T, allowedDefault: string[]) {
  const defaults = codec.fromPartial({}) as Record<string, unknown>;
  for (const key of Object.keys(defaults)) {
    if (allowedDefault.includes(key)) continue;
    const value = (message as Record<string, unknown>)[key];
    assert.notDeepEqual(value, defaults[key], `field ${key} is left at its default`);
  }
}

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
  it("a token keeps its text, index and id", () => {
    const event = overWire(
      GenerateEvent,
      toTokenEvent({ type: "token", id: 42, text: "ab", index: 3 }),
    );
    assert.deepEqual(event, {
      event: { $case: "token", value: { t: "ab", i: 3, id: 42, logprobs: undefined, chat: [] } },
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
      toTokenEvent({ type: "token", id: 42, text: "", index: 0, logprobs }, [delta]),
    );
    assert.equal(event.event?.$case, "token");
    const value = event.event.value;
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

const info: ModelInfo = {
  architecture: "llama",
  name: "tiny",
  description: "not sent: the proto has no field for it",
  parameterCount: 2_300_000,
  fileSizeBytes: 9_182_656,
  trainedContext: 4096,
  vocabSize: 32064,
  fileType: "F16",
  hasChatTemplate: true,
  digest: "ab".repeat(32),
  contextSize: 1024,
  slots: 3,
  kvBytesPerToken: 8192,
  embeddingLength: 64,
  pooling: "last",
};

describe("ModelInfo and WorkerDescription", () => {
  it("describes the model, the worker and its engine with every field", () => {
    const description = overWire(
      WorkerDescription,
      toWorkerDescription(info, {
        workerId: "w-1",
        poolId: "gpu0",
        modelRef: "builtin:tiny",
        backend: "cpu",
        engineVersion: "b1234",
      }),
    );
    assertEveryField(WorkerDescription, description, ["features"]);
    assert.ok(description.model);
    assertEveryField(ProtoModelInfo, description.model, []);
    assert.deepEqual(description, {
      workerId: "w-1",
      poolId: "gpu0",
      model: {
        modelRef: "builtin:tiny",
        architecture: "llama",
        name: "tiny",
        parameterCount: 2_300_000,
        fileSizeBytes: 9_182_656,
        trainedContext: 4096,
        vocabSize: 32064,
        fileType: "F16",
        hasChatTemplate: true,
        digest: "ab".repeat(32),
        contextSize: 1024,
        kvBytesPerToken: 8192,
        embeddingLength: 64,
        pooling: "last",
      },
      engine: "llamacpp",
      engineVersion: "b1234",
      slots: 3,
      backend: "cpu",
      features: {},
    });
  });
});

const stats: EngineStats = {
  slotsTotal: 4,
  slotsBusy: 2,
  pending: 1,
  kvCellsUsed: 300,
  kvCellsTotal: 4096,
  kvCellsCached: 120,
  cacheEvictions: 3,
  cacheRamBytes: 4096,
  prefillTokensPerSecond: 1500.5,
  decodeTokensPerSecond: 88.25,
};

const GiB = 1024 ** 3;
const probe: GpuProbe = {
  devices: [
    {
      index: 0,
      uuid: "GPU-3090",
      name: "NVIDIA GeForce RTX 3090",
      memoryTotalBytes: 24 * GiB,
      memoryUsedBytes: 18 * GiB,
      memoryFreeBytes: 6 * GiB,
      utilizationGpuPercent: 35,
      utilizationMemoryPercent: 12,
      temperatureC: 61,
      powerWatts: 220.5,
    },
    { index: 1 },
  ],
  reason: "GPU 1: memory query not supported",
};

describe("Telemetry", () => {
  it("carries stats, every GPU field, the reason and warm sessions", () => {
    const telemetry = overWire(
      Telemetry,
      toTelemetry(stats, probe, {
        deviceIndexes: [0],
        warmSessions: ["s1", "s2"],
      }),
    );
    assertEveryField(Telemetry, telemetry, ["unreadyReason"]);
    assert.deepEqual(telemetry, {
      ...stats,
      devices: [{ ...probe.devices[0] }],
      gpuReason: "GPU 1: memory query not supported",
      warmSessions: ["s1", "s2"],
      unreadyReason: "",
    });
  });

  it("reports every GPU when the pool names none; refused readings stay absent", () => {
    const telemetry = overWire(Telemetry, toTelemetry(stats, probe));
    assert.deepEqual(
      telemetry.devices.map((d) => d.index),
      [0, 1],
    );
    assert.deepEqual(telemetry.devices[1], {
      index: 1,
      uuid: "",
      name: "",
      memoryTotalBytes: undefined,
      memoryUsedBytes: undefined,
      memoryFreeBytes: undefined,
      utilizationGpuPercent: undefined,
      utilizationMemoryPercent: undefined,
      temperatureC: undefined,
      powerWatts: undefined,
    });
    assert.deepEqual(telemetry.warmSessions, []);
  });
});
