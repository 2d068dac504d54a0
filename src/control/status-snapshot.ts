// The operator's view at one instant: pools with their GPUs, every queue with live ETAs, running
// and recently ended tasks with their timelines, and sessions with the budgets they have left.
import { Priority } from "../gen/llama_orch/v1/common.js";
import type { PoolStatus, StatusSnapshot, TaskStatus } from "../gen/llama_orch/v1/status.js";
import { toSessionInfo } from "./convert.js";
import { perSequenceTokensPerSecond } from "./eta.js";
import type { PoolState } from "./pool-registry.js";
import { queueEtas } from "./queue-eta.js";
import type { SessionView } from "./sessions-policy.js";
import { isTerminal, type TaskEntry } from "./task-hub.js";
import type { PoolSnapshot } from "./types.js";

/** Ended tasks the snapshot keeps, newest first: enough for a glance, small enough to stream. */
export const RECENT_TASKS = 20;
/** Sessions the snapshot lists, most recently used first. */
export const RECENT_SESSIONS = 50;

/** What the snapshot reads; the control plane wires it to its live parts. */
export interface StatusSources {
  pools(): PoolState[];
  snapshots(): PoolSnapshot[];
  work(poolId: string): { queued: TaskEntry[]; running: TaskEntry[] };
  entries(): TaskEntry[];
  sessions(nowMs: number, limit: number): SessionView[];
  version: string;
}

/** loading (no worker yet) | ready | draining | failed (down, with its last error line). */
export function poolState(pool: Pick<PoolState, "ready" | "draining" | "lastError">): string {
  if (pool.draining) return "draining";
  if (pool.ready) return "ready";
  return pool.lastError ? "failed" : "loading";
}

/**
 * Prompt tokens served from the prefix cache over the prompt tokens of the pool's tasks the hub
 * still holds (the recent ones); undefined until one of them ended with a prompt.
 */
export function prefixCacheHitRatio(
  entries: readonly TaskEntry[],
  poolId: string,
): number | undefined {
  let prompt = 0;
  let cached = 0;
  for (const entry of entries) {
    const last = entry.events[entry.events.length - 1]?.event;
    if (entry.poolId !== poolId || last?.$case !== "end") continue;
    prompt += last.value.tokensIn;
    cached += last.value.cachedTokens;
  }
  return prompt === 0 ? undefined : cached / prompt;
}

function toPoolStatus(
  pool: PoolState,
  snapshot: PoolSnapshot | undefined,
  hitRatio: number | undefined,
): PoolStatus {
  const t = pool.telemetry;
  return {
    poolId: pool.poolId,
    state: poolState(pool),
    modelRef: pool.modelRef,
    lastError: pool.lastError.split("\n")[0] ?? "",
    slotsTotal: t?.slotsTotal ?? pool.description?.slots ?? 0,
    slotsBusy: Math.max(t?.slotsBusy ?? 0, pool.activeLeases),
    kvCellsUsed: t?.kvCellsUsed ?? 0,
    kvCellsTotal: t?.kvCellsTotal ?? 0,
    decodeTokensPerSecond: t?.decodeTokensPerSecond ?? 0,
    devices: t?.devices ?? [],
    gpuReason: t?.gpuReason ?? "",
    queueDepth: snapshot?.queueDepth ?? 0,
    restarts: pool.restarts,
    backend: pool.backend,
    expectedTokensPerSecond: snapshot ? perSequenceTokensPerSecond(snapshot) : 0,
    prefixCacheHitRatio: hitRatio,
  };
}

function errorCode(entry: TaskEntry): string {
  const last = entry.events[entry.events.length - 1]?.event;
  return last?.$case === "error" ? last.value.code : "";
}

export function toTaskStatus(entry: TaskEntry, nowMs: number): TaskStatus {
  const { task } = entry;
  const until = entry.endedMs ?? nowMs;
  const decoding = entry.firstTokenMs === undefined ? 0 : until - entry.firstTokenMs;
  return {
    taskId: task.taskId,
    poolId: entry.poolId,
    sessionId: task.sessionId,
    priority: task.priority === "batch" ? Priority.PRIORITY_BATCH : Priority.PRIORITY_INTERACTIVE,
    state: entry.state,
    queuePosition: 0,
    predictedStartMs: 0,
    queuedMs: entry.createdMs,
    placedMs: entry.placedMs ?? 0,
    firstTokenMs: entry.firstTokenMs ?? 0,
    endedMs: entry.endedMs ?? 0,
    tokensOut: entry.tokensOut,
    maxTokens: task.maxTokens,
    // The first token is the start of the clock, so it is not counted in the rate.
    tokensPerSecond: decoding > 0 ? ((entry.tokensOut - 1) / decoding) * 1000 : 0,
    errorCode: errorCode(entry),
    modelRef: task.modelRef,
  };
}

/** Queued tasks (with live positions and ETAs) then running tasks, pool by pool. */
function liveTasks(sources: StatusSources, snapshot: PoolSnapshot, nowMs: number): TaskStatus[] {
  const { queued, running } = sources.work(snapshot.poolId);
  const etas = queueEtas(snapshot, queued, running);
  const waiting = queued.map((entry, position) => ({
    ...toTaskStatus(entry, nowMs),
    queuePosition: position,
    predictedStartMs: etas[position] ?? 0,
  }));
  return [...waiting, ...running.map((entry) => toTaskStatus(entry, nowMs))];
}

export function statusSnapshot(sources: StatusSources, nowMs: number): StatusSnapshot {
  const snapshots = sources.snapshots();
  const entries = sources.entries();
  const pools = sources.pools().map((pool) =>
    toPoolStatus(
      pool,
      snapshots.find((s) => s.poolId === pool.poolId),
      prefixCacheHitRatio(entries, pool.poolId),
    ),
  );
  const ended = entries
    .filter((entry) => isTerminal(entry.state))
    .sort((a, b) => (b.endedMs ?? 0) - (a.endedMs ?? 0))
    .slice(0, RECENT_TASKS)
    .map((entry) => toTaskStatus(entry, nowMs));
  return {
    nowMs,
    pools,
    tasks: [...snapshots.flatMap((s) => liveTasks(sources, s, nowMs)), ...ended],
    sessions: sources.sessions(nowMs, RECENT_SESSIONS).map(toSessionInfo),
    version: sources.version,
  };
}
