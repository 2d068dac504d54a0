// GPU telemetry: what each NVIDIA GPU holds and how busy it is, read through NVML by the addon.
import { addon } from "./binding.js";
import type { GpuProbe } from "./nvml-types.js";

export type { GpuDevice, GpuProbe } from "./nvml-types.js";

/**
 * Reads every GPU once, off the JS thread. Loads `libraryPath` when given, else $LLAMA_ORCH_NVML_LIB
 * when set, else libnvidia-ml.so.1; the environment is read at each call. Never rejects for a machine
 * without NVIDIA drivers: it resolves with no devices and a reason.
 */
export function probeGpus(libraryPath?: string): Promise<GpuProbe> {
  return addon.probeGpus(libraryPath);
}
