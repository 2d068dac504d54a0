// A server's whole process tree (a process and its live descendants) and its resident memory.
import { readdirSync, readFileSync } from "node:fs";

/** Every live descendant of `pid` (serve's worker, the esbuild services tsx starts, ...). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone between readdir and read
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** `pid` and its live descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...descendants(pid)];
}

/** Resident bytes of one process now, or 0 when it is gone (VmRSS: anonymous, file and shmem). */
function residentBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/**
 * What a process is in the tree, for the breakdown: the first of `roles` among its arguments
 * (`serve`, `worker`), else its command name (`llama-server`, `esbuild`).
 */
function roleOf(pid: number, roles: readonly string[]): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const role = roles.find((r) => args.includes(r));
    if (role) return role;
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "gone";
  }
}

export interface TreeMemory {
  /** Largest sum of the tree's resident memory seen at one sample, in bytes. */
  peakBytes: number;
  /** Largest resident memory seen per role (not simultaneous: they need not add up to the peak). */
  peakByRole: Record<string, number>;
  samples: number;
}

/**
 * Samples a process tree's resident memory on a timer and keeps the peak of the sum. Summing
 * VmHWM instead would add peaks reached at different times; sampling can miss a peak shorter
 * than the interval, which for a server's KV and compute buffers (allocated at load) is no loss.
 */
export class TreeMemorySampler {
  private readonly timer: NodeJS.Timeout;
  private readonly memory: TreeMemory = { peakBytes: 0, peakByRole: {}, samples: 0 };

  constructor(
    private readonly rootPid: number,
    private readonly roles: readonly string[] = [],
    intervalMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    let sum = 0;
    for (const pid of processTree(this.rootPid)) {
      const bytes = residentBytes(pid);
      sum += bytes;
      const role = roleOf(pid, this.roles);
      this.memory.peakByRole[role] = Math.max(this.memory.peakByRole[role] ?? 0, bytes);
    }
    this.memory.peakBytes = Math.max(this.memory.peakBytes, sum);
    this.memory.samples++;
  }

  /** Takes a last sample and stops; call before the server stops. */
  stop(): TreeMemory {
    this.sample();
    clearInterval(this.timer);
    return { ...this.memory, peakByRole: { ...this.memory.peakByRole } };
  }
}
