// A cuda pool's GPUs at worker start: check them against NVML, choose the split the engine loads
// with (logged with the rule that chose it), or refuse with a typed error that says what to fix.
import { OrchError } from "../common/errors.js";
import {
  planSplit,
  type SplitPlan,
  type SplitRequest,
  splitProblems,
} from "../common/gpu-split.js";
import type { Logger } from "../common/logger.js";
import { type GpuDevice, probeGpus } from "../engine/nvml.js";
import type { EngineOptions } from "../engine/types.js";

export type GpuEngineOptions = Pick<
  EngineOptions,
  "devices" | "mainGpu" | "tensorSplit" | "splitMode"
>;

/**
 * `LLAMA_ORCH_GPU_STANDIN=cpu`: a cuda pool computes on the CPU while NVML (the fake library in
 * tests and demos) still reports its GPUs. Without it a CPU-only addon refuses GPU devices.
 */
export const GPU_STANDIN_ENV = "LLAMA_ORCH_GPU_STANDIN";

function presentDevices(poolId: string, devices: GpuDevice[], reason: string | undefined) {
  if (devices.length > 0) return;
  throw new OrchError(
    "POOL_UNAVAILABLE",
    `pool ${poolId} has backend cuda but no NVIDIA GPU was found ` +
      `(${reason ?? "NVML reports no devices"}); install the NVIDIA driver, ` +
      "or run this pool on CPU with --backend cpu",
  );
}

function checkRequest(poolId: string, pool: SplitRequest, devices: GpuDevice[]): void {
  const present = devices.map((device) => device.index);
  const named = [...(pool.devices ?? []), ...(pool.mainGpu === undefined ? [] : [pool.mainGpu])];
  const missing = [...new Set(named)].filter((index) => !present.includes(index));
  if (missing.length > 0) {
    throw new OrchError(
      "POOL_DEVICE_UNAVAILABLE",
      `pool ${poolId} asks for GPU ${missing.join(", ")} but this host has GPU ` +
        `${present.join(", ")}: fix --devices or --main-gpu`,
    );
  }
  const problems = splitProblems(pool, `pool ${poolId}`);
  if (problems.length > 0) throw new OrchError("INVALID_PARAMS", problems.join("; "));
}

function logPlan(log: Logger, plan: SplitPlan, devices: GpuDevice[]): void {
  const fields = {
    rule: plan.rule,
    split_mode: plan.splitMode,
    devices: plan.devices,
    tensor_split: plan.tensorSplit,
    main_gpu: plan.devices[plan.mainGpu],
    memory_total_bytes: plan.devices.map(
      (index) => devices.find((d) => d.index === index)?.memoryTotalBytes,
    ),
  };
  log.info(fields, "gpu split chosen");
}

/** DESIGN decision 2: a GPU pool without its GPUs fails at start, saying why and what to do. */
export async function gpuEngineOptions(
  poolId: string,
  pool: SplitRequest,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GpuEngineOptions> {
  const probe = await probeGpus();
  presentDevices(poolId, probe.devices, probe.reason);
  checkRequest(poolId, pool, probe.devices);
  const plan = planSplit(pool, probe.devices);
  logPlan(log, plan, probe.devices);
  // The stand-in's pools are checked and split as real ones; only the load stays on the CPU.
  if (env[GPU_STANDIN_ENV] === "cpu") {
    log.warn({ env: GPU_STANDIN_ENV }, "GPU stand-in: the pool computes on the CPU");
  }
  const { devices, mainGpu, tensorSplit, splitMode } = plan;
  return { devices, mainGpu, tensorSplit, splitMode };
}

/** The devices the engine loads on: the plan's, or none (the CPU) under the stand-in. */
export function loadDevices(
  devices: number[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): number[] | undefined {
  return env[GPU_STANDIN_ENV] === "cpu" ? [] : devices;
}
