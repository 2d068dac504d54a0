// Noticing that a client went away, on either protocol. HTTP/1: the response closes. HTTP/2: the
// stream is reset ('aborted'); its 'close' waits for queued writes that will never drain (the peer
// stopped reading), so the stream is destroyed here to drop them and free the connection.
import type { ServerResponse } from "node:http";

/** Calls `gone` once: on the response's close or its HTTP/2 stream's reset, or at once if closed. */
export function onResponseClosed(res: ServerResponse, gone: () => void): void {
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    gone();
  };
  // Already closed (the peer left before the handler ran): 'close' will not come again.
  if (res.destroyed) queueMicrotask(fire);
  else res.once("close", fire);
  const stream = (res as { stream?: NodeJS.EventEmitter & { destroy(): void } }).stream;
  stream?.once("aborted", () => {
    fire();
    stream.destroy();
  });
}
