// The worker's description and telemetry shapes: every field of each message, through the wire.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GpuProbe } from "../../src/engine/nvml.js";
import type { EngineStats, ModelInfo } from "../../src/engine/types.js";
import { ModelInfo as ProtoModelInfo } from "../../src/gen/llama_orch/v1/common.js";
import { Telemetry, WorkerDescription } from "../../src/gen/llama_orch/v1/worker.js";
import { toTelemetry, toWorkerDescription } from "../../src/worker/convert-describe.js";
import { assertEveryField, overWire } from "../support/proto-wire.js";

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
