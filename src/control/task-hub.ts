// Live tasks and their event logs: publish events in order, replay them to late subscribers, and
// keep ended tasks around (bounded) so a client can still attach and read the whole stream.
import { finishedStates } from "../common/finish-reasons.js";
import { type End, FinishReason } from "../gen/llama_orch/v1/common.js";
import { type TaskEvent, TaskState } from "../gen/llama_orch/v1/orchestrator.js";
import type { ValidTask } from "./types.js";

export type TaskListener = (event: TaskEvent) => void;
/** Called once a task has ended, after its terminal event reached the subscribers. */
export type EndedListener = (entry: TaskEntry) => void;

export interface TaskEntry {
  task: ValidTask;
  poolId: string;
  state: TaskState;
  events: TaskEvent[];
  listeners: Set<TaskListener>;
  createdMs: number;
  endedMs: number | undefined;
  /** Once set, token events are no longer published: nothing follows a cancel. */
  cancelRequested: boolean;
  /** The X-Correlation-Id (or generated id) of the request that admitted the task: logs group by it. */
  correlationId: string;
  /** Who submitted it through the gateway: its transcript artifact is theirs. */
  owner?: string;
  /** The artifact id of the stored event transcript, set when the task ends. */
  transcriptArtifactId?: string;
  /** Timeline for the operator's view (ms since the epoch): its `started`, its first token. */
  placedMs?: number;
  firstTokenMs?: number;
  /** Token events published so far. */
  tokensOut: number;
}

/** The `end` of a task cancelled before it ran: nothing decoded. */
export function cancelledUnrun(task: ValidTask): End {
  return {
    tokensIn: task.promptTokens,
    tokensOut: 0,
    decodeMs: 0,
    decodeTimeMs: 0,
    finishReason: FinishReason.FINISH_REASON_CANCELLED,
    cachedTokens: 0,
    ttftMs: 0,
    promptMs: 0,
    chatDeltas: [],
  };
}

export function isTerminal(state: TaskState): boolean {
  return state >= TaskState.TASK_STATE_FINISHED_STOP;
}

export class TaskHub {
  private readonly live = new Map<string, TaskEntry>();
  private readonly ended: string[] = [];
  private readonly keepEnded: number;
  private readonly onEnded: EndedListener | undefined;

  constructor(keepEnded = 1000, onEnded?: EndedListener) {
    this.keepEnded = keepEnded;
    this.onEnded = onEnded;
  }

  add(task: ValidTask, poolId: string, nowMs: number): TaskEntry {
    const entry: TaskEntry = {
      task,
      poolId,
      state: TaskState.TASK_STATE_QUEUED,
      events: [],
      listeners: new Set(),
      createdMs: nowMs,
      endedMs: undefined,
      cancelRequested: false,
      correlationId: "",
      tokensOut: 0,
    };
    this.live.set(task.taskId, entry);
    return entry;
  }

  get(taskId: string): TaskEntry | undefined {
    return this.live.get(taskId);
  }

  /** Every task the hub holds, live and recently ended, in admission order. */
  entries(): TaskEntry[] {
    return [...this.live.values()];
  }

  /** Drops a task that was never admitted (its queue refused it). */
  forget(taskId: string): void {
    this.live.delete(taskId);
  }

  /** Appends an event and hands it to every subscriber; an ended task takes no more events. */
  publish(entry: TaskEntry, event: TaskEvent, nowMs: number): void {
    if (isTerminal(entry.state)) return;
    const kind = event.event?.$case;
    if (kind === "token" && entry.cancelRequested) return;
    if (kind === "token") {
      entry.state = TaskState.TASK_STATE_RUNNING;
      entry.firstTokenMs ??= nowMs;
      entry.tokensOut += 1;
    }
    if (kind === "started") entry.placedMs = nowMs;
    if (kind === "end" && event.event?.$case === "end") {
      entry.state = finishedStates[event.event.value.finishReason];
    }
    if (kind === "error") entry.state = TaskState.TASK_STATE_FINISHED_ERROR;
    entry.events.push(event);
    for (const listener of entry.listeners) listener(event);
    if (isTerminal(entry.state)) this.retire(entry, nowMs);
  }

  /** Replays the events so far, then delivers live ones; returns the unsubscribe function. */
  subscribe(entry: TaskEntry, listener: TaskListener): () => void {
    for (const event of entry.events) listener(event);
    if (isTerminal(entry.state)) return () => undefined;
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }

  private retire(entry: TaskEntry, nowMs: number): void {
    entry.endedMs = nowMs;
    entry.listeners.clear();
    try {
      this.onEnded?.(entry);
    } catch {
      // A side effect of ending (the transcript) must never break the stream's publisher.
    }
    this.ended.push(entry.task.taskId);
    while (this.ended.length > this.keepEnded) {
      const old = this.ended.shift();
      if (old !== undefined) this.live.delete(old);
    }
  }
}
