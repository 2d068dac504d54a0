// Split-mode rules for GPU pools: what a config may ask for, and the split a pool runs with.

export const splitModes = ["none", "layer", "row", "tensor"] as const;
export type SplitMode = (typeof splitModes)[number];
export const flashAttnModes = ["auto", "on", "off"] as const;
export type FlashAttn = (typeof flashAttnModes)[number];

/** The pool keys the rules read (PoolConfig and the worker's options both have them). */
export interface SplitRequest {
  backend: "cpu" | "cuda";
  devices?: number[];
  tensorSplit?: number[];
  splitMode?: SplitMode;
  mainGpu?: number;
  flashAttn?: FlashAttn;
  kvType?: string;
}

/** A GPU as NVML reports it; only the index and total memory matter here. */
export interface SplitDevice {
  index: number;
  memoryTotalBytes?: number;
}

/** What the engine loads with, and the rule that chose it, for the pool-start log line. */
export interface SplitPlan {
  /** GPU indexes, in the order `tensorSplit` and `mainGpu` refer to. */
  devices: number[];
  splitMode: SplitMode;
  /** Position in `devices` of the main GPU. */
  mainGpu: number;
  tensorSplit?: number[];
  rule: string;
}

// Row and tensor parallelism split each matrix across the cards; llama.cpp's tensor mode needs
// flash attention, and a quantised KV cache split by rows is not supported on every card, so we
// allow both only with flash_attn on and an f16/f32 cache, where they are known to work.
function parallelProblems(pool: SplitRequest, at: string): string[] {
  const mode = pool.splitMode;
  if (mode !== "row" && mode !== "tensor") return [];
  const unquantised = pool.kvType === undefined || pool.kvType === "f16" || pool.kvType === "f32";
  if (pool.flashAttn === "on" && unquantised) return [];
  return [
    `${at}.split_mode: ${mode} needs flash_attn: on and an unquantised KV cache (kv_type f16 or ` +
      `f32), but the pool has flash_attn ${pool.flashAttn ?? "auto"} and kv_type ` +
      `${pool.kvType ?? "f16"}; set both, or use split_mode: layer`,
  ];
}

/** Config-load problems of a pool's split keys, one actionable line each. */
export function splitProblems(pool: SplitRequest, at: string): string[] {
  if (pool.backend === "cpu") {
    const keys = [
      ["split_mode", pool.splitMode],
      ["main_gpu", pool.mainGpu],
    ] as const;
    return keys
      .filter(([, value]) => value !== undefined)
      .map(([key]) => `${at}.${key}: a cpu pool uses no GPU; remove it or set backend: "cuda"`);
  }
  const problems = parallelProblems(pool, at);
  if (pool.mainGpu !== undefined && pool.devices && !pool.devices.includes(pool.mainGpu)) {
    problems.push(`${at}.main_gpu: GPU ${pool.mainGpu} is not in devices [${pool.devices}]`);
  }
  if (pool.splitMode === "none" && pool.tensorSplit) {
    problems.push(`${at}.tensor_split: split_mode none keeps the model on main_gpu; remove one`);
  }
  return problems;
}

const GIB = 1024 ** 3;
const ratio = (shares: number[]) => {
  const least = Math.min(...shares.filter((share) => share > 0));
  return shares.map((share) => Math.round((share / least) * 100) / 100).join(":");
};

/**
 * The split a cuda pool runs with over `present` GPUs: its devices (all by default), and over more
 * than one a layer split by the cards' total memory (2:1 for 24 + 12 GB) unless the pool gave one.
 */
export function planSplit(pool: SplitRequest, present: readonly SplitDevice[]): SplitPlan {
  const devices = pool.devices ?? present.map((device) => device.index);
  const mainGpu = Math.max(0, devices.indexOf(pool.mainGpu ?? devices[0] ?? 0));
  const splitMode = pool.splitMode ?? "layer";
  if (splitMode === "none" || devices.length < 2) {
    const rule = `single GPU ${devices[mainGpu] ?? "none"}`;
    return { devices, splitMode, mainGpu, rule };
  }
  if (pool.tensorSplit) {
    const rule = `${splitMode} split ${ratio(pool.tensorSplit)} as configured (tensor_split)`;
    return { devices, splitMode, mainGpu, tensorSplit: pool.tensorSplit, rule };
  }
  const totals = devices.map((i) => present.find((d) => d.index === i)?.memoryTotalBytes ?? 0);
  if (totals.some((total) => total <= 0)) {
    const rule = `${splitMode} split by llama.cpp's default (free memory): a total is unknown`;
    return { devices, splitMode, mainGpu, rule };
  }
  const sizes = totals.map((total) => `${Math.round(total / GIB)} GiB`).join(" + ");
  const rule = `${splitMode} split ${ratio(totals)} by total memory (${sizes})`;
  return { devices, splitMode, mainGpu, tensorSplit: totals.map((t) => t / GIB), rule };
}
