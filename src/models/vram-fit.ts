// VRAM fit before a GPU load: what each device needs for a number of offloaded layers (placed the
// way llama.cpp places them), whether that fits the free memory, and the most layers that do.
import type { ModelShape } from "./gguf-layers.js";

const MiB = 1024 * 1024;

/**
 * Kept free on every device that gets layers, beyond weights and KV. llama.cpp's compute buffer
 * (activations of one ubatch: a few hundred MiB for a 512-token ubatch of a 7-8B model, more with a
 * large vocabulary) is only known after a trial load, and the CUDA context the worker creates
 * (~300 MiB) is not yet in NVML's free figure. 1 GiB is what llama-server's `--fit` leaves free per
 * device by default (`fit_params_target` in common/common.h) on top of its measured compute buffer.
 */
export const COMPUTE_MARGIN_BYTES = 1024 * MiB;

/** Bytes per KV element of each KV cache type (q8_0: 32 values in a 34-byte block). */
export const KV_TYPE_BYTES = { f32: 4, f16: 2, q8_0: 34 / 32 } as const;
export type KvCacheType = keyof typeof KV_TYPE_BYTES;

export interface FitPlan {
  shape: ModelShape;
  /** KV cells the context holds: context per sequence x slots. */
  contextTokens: number;
  kvType: KvCacheType;
  /**
   * Share of the offloaded layers per device index (llama.cpp's tensor_split). Without one llama.cpp
   * splits by free memory, so the caller passes the free bytes then; all 0 splits evenly.
   */
  split: readonly number[];
}

export interface DeviceNeed {
  /** Device index (NVML = CUDA ordinal under CUDA_DEVICE_ORDER=PCI_BUS_ID). */
  device: number;
  /** Layers on this device, the output layer counting as one. */
  layers: number;
  weightBytes: number;
  kvBytes: number;
  marginBytes: number;
  totalBytes: number;
}

export interface Shortfall {
  need: DeviceNeed;
  freeBytes: number;
}

/** The layer count llama.cpp offloads for `gpuLayers`: repeating layers + output, -1 meaning all. */
export function offloadableLayers(shape: ModelShape): number {
  return shape.layerBytes.length + 1;
}

function clampLayers(shape: ModelShape, gpuLayers: number): number {
  const all = offloadableLayers(shape);
  return gpuLayers < 0 ? all : Math.min(gpuLayers, all);
}

/**
 * The device of each layer 0..n_layer (n_layer being the output layer), undefined for the CPU:
 * llama_model::load_tensors offloads the last `gpuLayers` layers and gives each device the run of
 * them its cumulative split share covers (std::upper_bound over the normalised split points).
 */
export function layerDevices(layerCount: number, gpuLayers: number, split: readonly number[]) {
  const all = layerCount + 1;
  const offloaded = gpuLayers < 0 ? all : Math.min(gpuLayers, all);
  const shares = split.some((s) => s > 0) ? split : split.map(() => 1);
  const total = shares.reduce((a, b) => a + b, 0);
  let sum = 0;
  const points = shares.map((s) => {
    sum += s;
    return sum / total;
  });
  const start = all - offloaded;
  return Array.from({ length: all }, (_, layer): number | undefined => {
    if (layer < start || points.length === 0) return undefined;
    const at = (layer - start) / offloaded;
    const device = points.findIndex((point) => point > at);
    return device === -1 ? points.length - 1 : device;
  });
}

/** What each device that gets a layer needs for `gpuLayers` offloaded layers, by device index. */
export function deviceNeeds(plan: FitPlan, gpuLayers: number): DeviceNeed[] {
  const { shape, contextTokens, kvType, split } = plan;
  const layerCount = shape.layerBytes.length;
  const needs = new Map<number, DeviceNeed>();
  layerDevices(layerCount, clampLayers(shape, gpuLayers), split).forEach((device, layer) => {
    if (device === undefined) return;
    const need = needs.get(device) ?? {
      device,
      layers: 0,
      weightBytes: 0,
      kvBytes: 0,
      marginBytes: COMPUTE_MARGIN_BYTES,
      totalBytes: 0,
    };
    need.layers += 1;
    // The KV cache of a layer lives on that layer's device (llama.cpp's default offload_kqv).
    if (layer < layerCount) {
      need.weightBytes += shape.layerBytes[layer] ?? 0;
      const elements = (shape.kvElementsPerToken[layer] ?? 0) * contextTokens;
      need.kvBytes += Math.ceil(elements * KV_TYPE_BYTES[kvType]);
    } else need.weightBytes += shape.outputBytes;
    needs.set(device, need);
  });
  return [...needs.values()]
    .map((n) => ({ ...n, totalBytes: n.weightBytes + n.kvBytes + n.marginBytes }))
    .sort((a, b) => a.device - b.device);
}

/**
 * The devices whose need exceeds their free memory. A device NVML gave no reading for is not
 * judged: the load then goes ahead and llama.cpp itself reports an out-of-memory.
 */
export function shortfalls(
  needs: readonly DeviceNeed[],
  free: ReadonlyMap<number, number | undefined>,
): Shortfall[] {
  return needs.flatMap((need) => {
    const freeBytes = free.get(need.device);
    return freeBytes !== undefined && need.totalBytes > freeBytes ? [{ need, freeBytes }] : [];
  });
}

export interface LayerChoice {
  gpuLayers: number;
  of: number;
  needs: DeviceNeed[];
}

/**
 * `gpu_layers: auto`: the most layers whose needs fit every device, counting down from all, as
 * llama-server's `--fit` reduces n_gpu_layers (it first shrinks an unset context; ours is set by
 * the config, so only layers move). 0 layers always fits: the model then runs on the CPU.
 */
export function chooseGpuLayers(
  plan: FitPlan,
  free: ReadonlyMap<number, number | undefined>,
): LayerChoice {
  const of = offloadableLayers(plan.shape);
  for (let layers = of; layers > 0; layers--) {
    const needs = deviceNeeds(plan, layers);
    if (shortfalls(needs, free).length === 0) return { gpuLayers: layers, of, needs };
  }
  return { gpuLayers: 0, of, needs: [] };
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
