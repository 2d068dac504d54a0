// Promise wrappers over the orchestrator and pool clients, for e2e tests.
import type { ServiceError } from "@grpc/grpc-js";
import type { OrchError } from "../../src/common/errors.js";
import { fromServiceError } from "../../src/common/grpc-errors.js";
import {
  type OrchestratorClient,
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
