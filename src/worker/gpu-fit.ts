// The worker's VRAM check before each GPU load: refuse a model that cannot fit the pool's free VRAM
// with the numbers, or (gpu_layers: auto) offload only the layers that fit; then load the engine.
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { Engine } from "../engine/engine.js";
import { type GpuDevice, probeGpus } from "../engine/nvml.js";
import type { EngineOptions } from "../engine/types.js";
import { type ModelShape, readModelShape } from "../models/gguf-layers.js";
import {
  chooseGpuLayers,
  type DeviceNeed,
  deviceNeeds,
  type FitPlan,
  mib,
  type Shortfall,
  shortfalls,
} from "../models/vram-fit.js";
import { loadDevices } from "./gpu-options.js";
import type { EngineLoader } from "./model-host.js";

/** What the check needs of the worker's options; `gpuLayers` "auto" picks the count. */
export interface GpuFitOptions {
  poolId: string;
  backend: "cpu" | "cuda";
  gpuLayers?: number | "auto";
}

type LoadOptions = Omit<EngineOptions, "modelPath">;

/**
 * The engine's defaults when the options leave them unset (native/src/convert.cpp). The split is
 * per GPU index: the pool's devices take their tensor_split shares (evenly without one), others 0.
 */
function fitPlan(shape: ModelShape, load: LoadOptions, devices: GpuDevice[]): FitPlan {
  const context = load.contextSize ?? Math.min(4096, shape.ctxMax || 4096);
  const count = Math.max(
    0,
    ...devices.map((d) => d.index + 1),
    ...(load.devices ?? []).map((i) => i + 1),
  );
  const used = load.devices ?? devices.map((d) => d.index);
  // Without a tensor split llama.cpp divides the layers by each device's free memory.
  const share = (index: number) => {
    const at = used.indexOf(index);
    if (at < 0) return 0;
    if (load.tensorSplit) return load.tensorSplit[at] ?? 0;
    return used.length === 1 ? 1 : (devices.find((d) => d.index === index)?.memoryFreeBytes ?? 0);
  };
  const split = Array.from({ length: count }, (_, index) => share(index));
  return { shape, contextTokens: context * (load.slots ?? 4), kvType: load.kvType ?? "f16", split };
}

function breakdown(need: DeviceNeed, contextTokens: number): string {
  return (
    `weights ${mib(need.weightBytes)}, KV ${mib(need.kvBytes)} for ${contextTokens} tokens, ` +
    `compute margin ${mib(need.marginBytes)}`
  );
}

function refusal(poolId: string, gpuLayers: number, short: Shortfall[], plan: FitPlan): OrchError {
  const lines = short.map(
    ({ need, freeBytes }) =>
      `GPU ${need.device} needs ${mib(need.totalBytes)} for ${need.layers} ` +
      `layer${need.layers === 1 ? "" : "s"} ` +
      `(${breakdown(need, plan.contextTokens)}) but has ${mib(freeBytes)} free`,
  );
  return new OrchError(
    "POOL_UNAVAILABLE",
    `pool ${poolId}: the model does not fit in free VRAM with gpu_layers ${gpuLayers}: ` +
      `${lines.join("; ")}. Set gpu_layers: auto to offload only the layers that fit, or lower ` +
      "gpu_layers, context_size or slots, or use kv_type q8_0",
  );
}

function needsLog(needs: DeviceNeed[], free: Map<number, number | undefined>) {
  return needs.map((n) => ({
    device: n.device,
    layers: n.layers,
    needed_bytes: n.totalBytes,
    free_bytes: free.get(n.device),
  }));
}

/** The layer count to load with: the requested one when it fits, else a refusal; auto: chosen. */
async function fittedLayers(
  options: GpuFitOptions,
  load: LoadOptions,
  modelPath: string,
  log: Logger,
): Promise<number> {
  const requested = options.gpuLayers ?? -1;
  // Not a GGUF we can read: the engine's load says what is wrong with the file.
  const shape = await readModelShape(modelPath).catch(() => undefined);
  if (!shape) return requested === "auto" ? -1 : requested;
  const { devices } = await probeGpus();
  const plan = fitPlan(shape, load, devices);
  const free = new Map(devices.map((d) => [d.index, d.memoryFreeBytes]));
  if (requested === "auto") {
    const choice = chooseGpuLayers(plan, free);
    const fields = { gpu_layers: choice.gpuLayers, offloadable_layers: choice.of };
    log.info({ ...fields, devices: needsLog(choice.needs, free) }, "gpu layers chosen to fit VRAM");
    if (choice.gpuLayers === 0)
      log.warn(fields, "no layer fits in free VRAM: the model runs on CPU");
    return choice.gpuLayers;
  }
  const needs = deviceNeeds(plan, requested);
  const short = shortfalls(needs, free);
  if (short.length === 0) return requested;
  log.warn({ gpu_layers: requested, devices: needsLog(needs, free) }, "model does not fit VRAM");
  throw refusal(options.poolId, requested, short, plan);
}

/**
 * The engine names the device and the bytes it asked for; NVML adds what each of the pool's GPUs
 * had free right after, which the estimate before the load did not foresee.
 */
async function withFreeVram(error: unknown, load: LoadOptions, log: Logger): Promise<unknown> {
  if (!(error instanceof OrchError) || error.code !== "POOL_INSUFFICIENT_VRAM") return error;
  const { devices } = await probeGpus();
  const used = devices.filter((d) => load.devices?.includes(d.index) ?? true);
  const free = used.map(
    (d) => `GPU ${d.index} ${mib(d.memoryFreeBytes ?? 0)} of ${mib(d.memoryTotalBytes ?? 0)}`,
  );
  const fields = used.map((d) => ({
    device: d.index,
    free_bytes: d.memoryFreeBytes,
    total_bytes: d.memoryTotalBytes,
  }));
  log.warn({ error_code: error.code, devices: fields }, "out of VRAM at load");
  return new OrchError(
    error.code,
    `${error.message}; free now (NVML): ${free.join(", ") || "unknown"}`,
  );
}

/** Loads through the VRAM check on cuda pools; a cpu pool loads as configured. */
export function fittedLoader(options: GpuFitOptions, load: LoadOptions, log: Logger): EngineLoader {
  return async (modelPath) => {
    if (options.backend !== "cuda") return Engine.load({ ...load, modelPath });
    const gpuLayers = await fittedLayers(options, load, modelPath, log);
    const devices = loadDevices(load.devices);
    return Engine.load({ ...load, modelPath, gpuLayers, devices }).catch(async (error: unknown) => {
      throw await withFreeVram(error, load, log);
    });
  };
}
