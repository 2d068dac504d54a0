// Whether this machine can run the GPU suite: a real NVIDIA GPU through the real NVML, and an addon
// built with CUDA. Each suite skips with the reason when not, so `npm test` on CPU says so.
import { addonPath, cudaAddonPath } from "../../src/common/paths.js";
import { Engine } from "../../src/engine/engine.js";
import { type GpuDevice, probeGpus } from "../../src/engine/nvml.js";

/** The driver's library, never $LLAMA_ORCH_NVML_LIB (other suites point that at the fake one). */
export const realNvml = "libnvidia-ml.so.1";

export interface GpuPresence {
  /** false when the suite can run; else why it cannot, as node:test prints it. */
  skip: string | false;
  /** NVML's GPU 0 when present. */
  gpu?: GpuDevice;
}

export async function gpuPresence(): Promise<GpuPresence> {
  const probe = await probeGpus(realNvml);
  const gpu = probe.devices[0];
  if (!gpu)
    return { skip: `no NVIDIA GPU through the real NVML (${probe.reason ?? "no devices"})` };
  if (!Engine.cudaBuild)
    return {
      gpu,
      skip:
        `${addonPath} was built without CUDA: run LLAMA_ORCH_CUDA=1 npm run build:addon and ` +
        `set LLAMA_ORCH_ADDON=${cudaAddonPath}`,
    };
  return { gpu, skip: false };
}
