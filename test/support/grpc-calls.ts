// Promise wrappers over the orchestrator and pool clients, for e2e tests.
import type { ServiceError } from "@grpc/grpc-js";
import type { OrchError } from "../../src/common/errors.js";
import { fromServiceError } from "../../src/common/grpc-errors.js";
import {
  type Admission,
  type OrchestratorClient,
  type Started,
  type TaskEvent,
  TaskRequest,
} from "../../src/gen/llama_orch/v1/orchestrator.js";

export type Kind = NonNullable<TaskEvent["event"]>["$case"];

export interface Streamed {
  events: TaskEvent[];
  kinds: Kind[];
  text: string;
  /** Set when the call itself failed (admission refused): the typed error. */
  error?: OrchError;
}

export function kindOf(event: TaskEvent): Kind {
  return event.event?.$case ?? "error";
}

/** Submits and reads the stream to its end, calling `onEvent` as events arrive. */
export function submit(
  client: OrchestratorClient,
  request: Partial<TaskRequest>,
  onEvent: (event: TaskEvent) => void = () => undefined,
): Promise<Streamed> {
  const call = client.submit(TaskRequest.fromPartial(request));
  return read(call, onEvent);
}

export function read(
  call: NodeJS.EventEmitter,
  onEvent: (event: TaskEvent) => void = () => undefined,
): Promise<Streamed> {
  const out: Streamed = { events: [], kinds: [], text: "" };
  return new Promise((resolve) => {
    call.on("data", (event: TaskEvent) => {
      out.events.push(event);
      out.kinds.push(kindOf(event));
      if (event.event?.$case === "token") out.text += event.event.value.t;
      onEvent(event);
    });
    call.on("error", (error: ServiceError) => {
      out.error = fromServiceError(error);
      resolve(out);
    });
    call.on("end", () => resolve(out));
  });
}

type Callback<Res> = (error: ServiceError | null, reply: Res) => void;

/** Runs one unary call (`(cb) => client.method(request, cb)`); rejects with the typed OrchError. */
export function unary<Res>(invoke: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke((error, reply) => (error ? reject(fromServiceError(error)) : resolve(reply)));
  });
}

export function endOf(streamed: Streamed) {
  const last = streamed.events.at(-1)?.event;
  return last?.$case === "end" ? last.value : undefined;
}

export function errorOf(streamed: Streamed) {
  const last = streamed.events.at(-1)?.event;
  return last?.$case === "error" ? last.value : undefined;
}

export function startedOf(streamed: Streamed): Started | undefined {
  const found = streamed.events.find((e) => e.event?.$case === "started")?.event;
  return found?.$case === "started" ? found.value : undefined;
}

/** Admits a task without streaming it (Orchestrator.Enqueue). */
export function enqueue(
  client: OrchestratorClient,
  request: Partial<TaskRequest>,
): Promise<Admission> {
  return unary<Admission>((cb) => client.enqueue(TaskRequest.fromPartial(request), cb));
}

/** A submitted task that has reached a given event; `done` resolves with its whole stream. */
export interface RunningTask {
  call: ReturnType<OrchestratorClient["submit"]>;
  taskId: string;
  /** The `started` event; undefined when the stream ended before it started. */
  started: Started | undefined;
  done: Promise<Streamed>;
}

/**
 * Submits a task and resolves once it has `started` (it holds a slot) or, with `tokens`, once
 * that many tokens arrived; also when the stream ends first (look at `done`).
 */
export async function startTask(
  client: OrchestratorClient,
  request: Partial<TaskRequest>,
  tokens = 0,
): Promise<RunningTask> {
  const call = client.submit(TaskRequest.fromPartial(request));
  let reached: () => void = () => undefined;
  const reachedPromise = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let taskId = "";
  let started: Started | undefined;
  let seen = 0;
  const done = read(call, (e) => {
    if (e.event?.$case === "admitted") taskId = e.event.value.taskId;
    if (e.event?.$case === "started") started = e.event.value;
    if (e.event?.$case === "token") seen++;
    if (started && seen >= tokens) reached();
  });
  await Promise.race([reachedPromise, done]);
  return { call, taskId, started, done };
}
