// An engine load that must run out of memory: the bench model's KV cache at f32 for 256 slots of
// 4096 tokens (72 GiB), and whether this machine can be trusted to refuse it instead of paging.
import { readFileSync } from "node:fs";

/** 2 (K, V) x 12 layers x 12 KV heads x 64 dims x 4 bytes per token, for 256 x 4096 tokens. */
export const HUGE_KV_BYTES = 256 * 4096 * 2 * 12 * 12 * 64 * 4;
export const hugeKvLoad = { slots: 256, contextSize: 4096, kvType: "f32" } as const;

/**
 * The kernel's default overcommit policy (0) refuses one allocation larger than RAM + swap, and
 * policy 2 refuses it too; under policy 1 it would succeed and clearing the cache would touch it all.
 * Returns why the load cannot be tried here, or undefined when it can.
 */
export function hugeKvUntestable(): string | undefined {
  const policy = readFileSync("/proc/sys/vm/overcommit_memory", "utf8").trim();
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const kib = (key: string) => Number(meminfo.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1]);
  if (policy === "1")
    return "vm.overcommit_memory is 1: a 72 GiB KV cache would be paged in, not refused";
  if (HUGE_KV_BYTES <= 2 * 1024 * (kib("MemTotal") + kib("SwapTotal"))) {
    return "this machine has enough memory that a 72 GiB KV cache might be granted";
  }
  return undefined;
}
