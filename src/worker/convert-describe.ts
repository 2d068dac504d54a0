// The worker's description and telemetry in proto shape: model info, GPUs, engine counters.
import type { GpuDevice, GpuProbe } from "../engine/nvml.js";
import type { EngineStats, ModelInfo } from "../engine/types.js";
import type {
  GpuDevice as ProtoGpuDevice,
  ModelInfo as ProtoModelInfo,
} from "../gen/llama_orch/v1/common.js";
import type { Telemetry, WorkerDescription } from "../gen/llama_orch/v1/worker.js";

export function toModelInfo(info: ModelInfo, modelRef: string): ProtoModelInfo {
  return {
    modelRef,
    architecture: info.architecture,
    name: info.name,
    parameterCount: info.parameterCount,
    fileSizeBytes: info.fileSizeBytes,
    trainedContext: info.trainedContext,
    vocabSize: info.vocabSize,
    fileType: info.fileType,
    hasChatTemplate: info.hasChatTemplate,
    digest: info.digest,
    contextSize: info.contextSize,
    kvBytesPerToken: info.kvBytesPerToken,
    embeddingLength: info.embeddingLength,
    pooling: info.pooling,
  };
}

export interface DescriptionContext {
  workerId: string;
  poolId: string;
  modelRef: string;
  backend: string;
  engineVersion: string;
}

export function toWorkerDescription(
  info: ModelInfo,
  context: DescriptionContext,
): WorkerDescription {
  return {
    workerId: context.workerId,
    poolId: context.poolId,
    model: toModelInfo(info, context.modelRef),
    engine: "llamacpp",
    engineVersion: context.engineVersion,
    slots: info.slots,
    backend: context.backend,
    features: {},
  };
}

/** NVML leaves out what a device refused to report: absent numbers stay absent, names become "". */
export function toGpuDevice(device: GpuDevice): ProtoGpuDevice {
  return {
    index: device.index,
    uuid: device.uuid ?? "",
    name: device.name ?? "",
    memoryTotalBytes: device.memoryTotalBytes,
    memoryUsedBytes: device.memoryUsedBytes,
    memoryFreeBytes: device.memoryFreeBytes,
    utilizationGpuPercent: device.utilizationGpuPercent,
    utilizationMemoryPercent: device.utilizationMemoryPercent,
    temperatureC: device.temperatureC,
    powerWatts: device.powerWatts,
  };
}

export interface TelemetryContext {
  /** The pool's GPUs (NVML indexes); other GPUs on the host are not this worker's to report. */
  deviceIndexes?: readonly number[];
  warmSessions?: readonly string[];
}

export function toTelemetry(
  stats: EngineStats,
  probe: GpuProbe,
  context: TelemetryContext = {},
): Telemetry {
  const wanted = context.deviceIndexes;
  const devices =
    wanted === undefined || wanted.length === 0
      ? probe.devices
      : probe.devices.filter((device) => wanted.includes(device.index));
  return {
    slotsTotal: stats.slotsTotal,
    slotsBusy: stats.slotsBusy,
    pending: stats.pending,
    kvCellsUsed: stats.kvCellsUsed,
    kvCellsTotal: stats.kvCellsTotal,
    prefillTokensPerSecond: stats.prefillTokensPerSecond,
    decodeTokensPerSecond: stats.decodeTokensPerSecond,
    devices: devices.map(toGpuDevice),
    gpuReason: probe.reason ?? "",
    warmSessions: [...(context.warmSessions ?? [])],
    unreadyReason: "",
    kvCellsCached: stats.kvCellsCached,
    cacheEvictions: stats.cacheEvictions,
    cacheRamBytes: stats.cacheRamBytes,
  };
}
