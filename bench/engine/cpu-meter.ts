// Measures how much CPU other processes took while a benchmark row ran, so noisy rows show.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** What else the machine did during one row, in cores' worth of CPU on average. */
export interface Noise {
  /** CPU used by processes other than this one and its benchmark child. */
  otherCores: number;
  /** CPU the hypervisor gave to other guests (steal). */
  stealCores: number;
}

/**
 * With every core busy with benchmark threads, any other work steals from them: a row counts as
 * clean when others used at most a few percent of the machine (0.1 core of 2).
 */
export const NOISE_LIMIT_CORES = 0.1;

export function isClean(noise: Noise): boolean {
  return noise.otherCores <= NOISE_LIMIT_CORES && noise.stealCores <= NOISE_LIMIT_CORES;
}

interface Snapshot {
  busy: number;
  steal: number;
  total: number;
  own: number;
}

function systemTimes(): Omit<Snapshot, "own"> {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/**
 * utime, stime and, with `reaped`, cutime and cstime from a /proc stat file (a process's, or one
 * thread's under task/), in jiffies; 0 when it is gone (a reaped child's time sits in our cutime).
 */
export function statJiffies(path: string, reaped = false): number {
  let stat: string;
  try {
    stat = readFileSync(path, "utf8");
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const indices = reaped ? [11, 12, 13, 14] : [11, 12];
  return indices.reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
}

function processTimes(pid: number | "self", reaped: boolean): number {
  return statJiffies(`/proc/${pid}/stat`, reaped);
}

/** The 1-minute load average, or NaN off Linux. */
export function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}

/**
 * Counts this process, its reaped children and the live children it is told about as "ours";
 * everything else busy on the machine is noise. Linux only: elsewhere every lap is NaN.
 */
export class CpuMeter {
  private readonly children: number[] = [];
  private last: Snapshot | undefined;

  constructor() {
    this.last = this.snapshot();
  }

  addChild(pid: number): void {
    this.children.push(pid);
  }

  /** Noise since the previous lap (or since construction). */
  lap(): Noise {
    const now = this.snapshot();
    const before = this.last;
    this.last = now;
    if (!now || !before) return { otherCores: Number.NaN, stealCores: Number.NaN };
    const total = Math.max(1, now.total - before.total);
    // /proc/stat sums every online CPU, whatever the cgroup allows this process.
    const cores = cpus().length;
    const others = Math.max(0, now.busy - before.busy - (now.own - before.own));
    return {
      otherCores: (others / total) * cores,
      stealCores: ((now.steal - before.steal) / total) * cores,
    };
  }

  private snapshot(): Snapshot | undefined {
    try {
      const own = this.children.reduce((sum, pid) => sum + processTimes(pid, false), 0);
      return { ...systemTimes(), own: own + processTimes("self", true) };
    } catch {
      return undefined;
    }
  }
}

/**
 * Waits (up to `limitMs`) for half a second in which other processes stay under the noise limit,
 * so a run does not start in the middle of someone's build. Resolves with the last reading.
 */
export async function waitForQuiet(limitMs: number): Promise<Noise> {
  const deadline = Date.now() + limitMs;
  const meter = new CpuMeter();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const noise = meter.lap();
    if (isClean(noise) || Number.isNaN(noise.otherCores) || Date.now() >= deadline) return noise;
  }
}
