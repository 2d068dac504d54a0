// Re-logs a local worker's JSON log lines (its stderr) in serve's own log: the worker's fields as
// fields, its level kept, tagged with the pool id, so one log stream reads as one system.
import type { Logger } from "../common/logger.js";

type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal";
const LEVELS: readonly Level[] = ["trace", "debug", "info", "warn", "error", "fatal"];

/** Our logger writes level names; pino's default is numbers (10 trace ... 60 fatal). */
function levelOf(value: unknown): Level {
  if (typeof value === "number") return LEVELS[Math.round(value / 10) - 1] ?? "info";
  return LEVELS.find((level) => level === value) ?? "info";
}

function parsed(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function relayWorkerLine(log: Logger, poolId: string, line: string): void {
  const entry = parsed(line);
  if (!entry) {
    // Not ours (a native library writing to stderr): kept verbatim, quietly.
    log.debug({ pool_id: poolId, component: "worker", worker: line }, "worker output");
    return;
  }
  // serve's logger writes its own time, level, hostname and name; the worker's pid stays.
  const { level, time: _t, hostname: _h, name: _n, msg, pid, ...fields } = entry;
  const method = levelOf(level);
  const message = typeof msg === "string" ? msg : "worker output";
  log[method]({ ...fields, pool_id: poolId, component: "worker", worker_pid: pid }, message);
}
