// Pipes a task's gRPC event stream into an SSE response: one flush per frame, keep-alives,
// backpressure by pausing the gRPC stream; the route, watching from the request's arrival, cancels
// the task when the client goes away first.
import type { ServerResponse } from "node:http";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { fromServiceError } from "../common/grpc-errors.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import { onResponseClosed } from "./client-gone.js";
import { isTerminal, sseErrorFrame, sseFrame } from "./translate-tasks.js";

const KEEPALIVE_FRAME = ": keep-alive\n\n";

export interface SsePipe {
  /** The Attach call, paused, its first event already read. */
  call: ClientReadableStream<TaskEvent>;
  first: TaskEvent;
  res: ServerResponse;
  /** X-Correlation-Id, X-Budget-* and any other header of the 200. */
  headers: Record<string, string>;
  verbose: boolean;
  /** Interval of `: keep-alive` comments (config `gateway.sse_keepalive_ms`). */
  keepAliveMs: number;
  /** Called once as the terminal frame is written: a later close is no longer a disconnect. */
  onEnded(): void;
}

/** Writes the 200 head; no compression, Nagle off so each frame leaves at once. */
function openStream(res: ServerResponse, headers: Record<string, string>): void {
  res.socket?.setNoDelay(true);
  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
    ...headers,
  });
  res.flushHeaders();
}

/** Streams `first` and every later event of `call` to `res` until the terminal frame. */
export function pipeTaskEvents(pipe: SsePipe): void {
  const { call, res, verbose } = pipe;
  let done = false;
  const keepAlive = setInterval(() => {
    if (!res.writableNeedDrain) res.write(KEEPALIVE_FRAME);
  }, pipe.keepAliveMs);
  keepAlive.unref();
  const finish = (last?: string) => {
    if (done) return;
    done = true;
    pipe.onEnded();
    clearInterval(keepAlive);
    res.off("drain", resume);
    res.end(last);
  };
  // Never drop a frame: a full socket pauses the gRPC stream (HTTP/2 flow control upstream).
  const resume = () => call.resume();
  const onEvent = (event: TaskEvent) => {
    if (done) return;
    const text = sseFrame(event, verbose);
    if (isTerminal(event)) finish(text);
    else if (text !== undefined && !res.write(text)) call.pause();
  };
  res.on("drain", resume);
  onResponseClosed(res, () => {
    done = true;
    clearInterval(keepAlive);
  });
  call.on("data", onEvent);
  // After our own cancel `done` is set already; any other failure is the terminal frame.
  call.on("error", (error: ServiceError) => finish(sseErrorFrame(fromServiceError(error))));
  call.on("end", () => finish());
  openStream(res, pipe.headers);
  onEvent(pipe.first);
  call.resume();
}
