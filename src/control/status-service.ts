// The Status gRPC service: one snapshot of the operator's view, or a stream of them.
import type { ServerWritableStream, UntypedHandleCall } from "@grpc/grpc-js";
import { unary } from "../common/grpc-unary.js";
import type { StatusRequest, StatusServer, StatusSnapshot } from "../gen/llama_orch/v1/status.js";
import { type StatusSources, statusSnapshot } from "./status-snapshot.js";

/** WatchStatus cadence when the request names none, and the fastest a client may ask for. */
export const DEFAULT_WATCH_INTERVAL_MS = 500;
export const MIN_WATCH_INTERVAL_MS = 100;

/** A snapshot's content without its clock, to tell whether anything changed. */
function fingerprint(snapshot: StatusSnapshot): string {
  return JSON.stringify({ ...snapshot, nowMs: 0 });
}

function watch(sources: StatusSources, call: ServerWritableStream<StatusRequest, StatusSnapshot>) {
  const asked = call.request.intervalMs;
  const every = asked > 0 ? Math.max(MIN_WATCH_INTERVAL_MS, asked) : DEFAULT_WATCH_INTERVAL_MS;
  let last = "";
  const tick = () => {
    const snapshot = statusSnapshot(sources, Date.now());
    const print = fingerprint(snapshot);
    if (print === last) return;
    last = print;
    // A slow client: skip this tick's snapshot rather than queue them; the next one supersedes it.
    if (call.writableNeedDrain) last = "";
    else call.write(snapshot);
  };
  tick();
  const timer = setInterval(tick, every);
  const stop = () => clearInterval(timer);
  call.on("cancelled", stop);
  call.on("close", stop);
  call.on("error", stop);
}

export function statusService(sources: StatusSources): StatusServer {
  const server: Record<keyof StatusServer, UntypedHandleCall> = {
    getStatus: unary<StatusRequest, StatusSnapshot>(async () =>
      statusSnapshot(sources, Date.now()),
    ),
    watchStatus: (call: ServerWritableStream<StatusRequest, StatusSnapshot>) =>
      watch(sources, call),
  };
  return server as unknown as StatusServer;
}
