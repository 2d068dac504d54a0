// Pipes a gRPC event stream (a task's, a pull's) into an SSE response: one flush per frame,
// keep-alives, backpressure by pausing the gRPC stream, and the one terminal frame; the route says
// what a client gone first means (a task route cancels the task, watching from the request's arrival).
import type { ServerResponse } from "node:http";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { OrchError } from "../common/errors.js";
import { fromServiceError } from "../common/grpc-errors.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import { onResponseClosed } from "./client-gone.js";
import { isTerminal, sseErrorFrame, sseFrame } from "./translate-task-events.js";

const KEEPALIVE_FRAME = ": keep-alive\n\n";

/** How one kind of event becomes SSE text. */
export interface SseFrames<E> {
  frame(event: E): string | undefined;
  isTerminal(event: E): boolean;
  /** The terminal frame of a stream the server side failed. */
  errorFrame(error: OrchError): string;
}

export interface SseStream<E> {
  /** The gRPC stream, paused; its events already read go in `first`. */
  call: ClientReadableStream<E>;
  first: readonly E[];
  res: ServerResponse;
  /** The status of the head: 200, or 202 for an accepted pull. */
  status?: number;
  /** X-Correlation-Id, X-Budget-*, X-Pull-Id and any other header of the head. */
  headers: Record<string, string>;
  /** Interval of `: keep-alive` comments (config `gateway.sse_keepalive_ms`). */
  keepAliveMs: number;
  /** Called once as the terminal frame is written: a later close is no longer a disconnect. */
  onEnded?(): void;
  /** Called once when the client leaves before the terminal frame. */
  onGone?(): void;
}

/** A task's stream (Attach, paused, its first event already read) as the task route opens it. */
export type SsePipe = Omit<SseStream<TaskEvent>, "first" | "status" | "onGone"> & {
  first: TaskEvent;
  verbose: boolean;
  onEnded(): void;
};

/** Writes the head; no compression, Nagle off so each frame leaves at once. */
function openStream(res: ServerResponse, status: number, headers: Record<string, string>): void {
  res.socket?.setNoDelay(true);
  res.writeHead(status, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
    ...headers,
  });
  res.flushHeaders();
}

/** Streams the `first` events and every later event of `call` to `res` until the terminal frame. */
export function pipeSse<E>(stream: SseStream<E>, frames: SseFrames<E>): void {
  const { call, res } = stream;
  let done = false;
  const keepAlive = setInterval(() => {
    if (!res.writableNeedDrain) res.write(KEEPALIVE_FRAME);
  }, stream.keepAliveMs);
  keepAlive.unref();
  const finish = (last?: string) => {
    if (done) return;
    done = true;
    stream.onEnded?.();
    clearInterval(keepAlive);
    res.off("drain", resume);
    res.end(last);
  };
  // Never drop a frame: a full socket pauses the gRPC stream (HTTP/2 flow control upstream).
  const resume = () => call.resume();
  const onEvent = (event: E) => {
    if (done) return;
    const text = frames.frame(event);
    if (frames.isTerminal(event)) finish(text);
    else if (text !== undefined && !res.write(text)) call.pause();
  };
  res.on("drain", resume);
  onResponseClosed(res, () => {
    if (!done) stream.onGone?.();
    done = true;
    clearInterval(keepAlive);
  });
  call.on("data", onEvent);
  // After our own cancel `done` is set already; any other failure is the terminal frame.
  call.on("error", (error: ServiceError) => finish(frames.errorFrame(fromServiceError(error))));
  call.on("end", () => finish());
  openStream(res, stream.status ?? 200, stream.headers);
  for (const event of stream.first) onEvent(event);
  call.resume();
}

/** A task's events (Attach) as the SSE frames of GET /v1/tasks/{id}/stream. */
export function pipeTaskEvents(pipe: SsePipe): void {
  const { verbose, first, ...stream } = pipe;
  pipeSse(
    { ...stream, first: [first] },
    { frame: (event) => sseFrame(event, verbose), isTerminal, errorFrame: sseErrorFrame },
  );
}
