// One SSE response, the gateway's one writer of event streams (native, OpenAI, Anthropic, pulls):
// the head, keep-alives, one socket write per batch of frames, drain, and a client gone first.
import type { ServerResponse } from "node:http";
import type { FastifyReply } from "fastify";
import { onResponseClosed } from "./client-gone.js";

export interface SseHead {
  /** 200, or 202 for an accepted pull. */
  status?: number;
  /** X-Correlation-Id, X-Budget-*, X-Pull-Id and any other header of the head. */
  headers: Record<string, string>;
  /** Interval of keep-alives (config `gateway.sse_keepalive_ms`). */
  keepAliveMs: number;
  /** What a keep-alive is: an SSE comment by default; Anthropic's SDKs expect a `ping` event. */
  keepAliveFrame?: string;
  /** Called once when the client leaves before the stream ended. */
  onGone?(): void;
}

const KEEPALIVE_FRAME = ": keep-alive\n\n";

/**
 * Frames are queued and leave in one write per `flush` (a batch of tokens is one write however
 * many frames it makes). What the socket cannot take at once stays in Node's buffer and the
 * writer reports it full: callers stop reading their source until `drained`, which pushes the
 * lag upstream (gRPC flow control), where tokens coalesce; nothing is dropped here.
 */
export class SseResponse {
  private readonly res: ServerResponse;
  private readonly keepAlive: NodeJS.Timeout;
  private queued = "";
  private ended = false;
  private closed = false;
  /** The last write found the socket full and no drain followed yet (HTTP/1 and HTTP/2 alike). */
  private full = false;

  constructor(res: ServerResponse, head: SseHead) {
    this.res = res;
    res.socket?.setNoDelay(true);
    res.writeHead(head.status ?? 200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
      ...head.headers,
    });
    res.flushHeaders();
    const keepAliveFrame = head.keepAliveFrame ?? KEEPALIVE_FRAME;
    this.keepAlive = setInterval(() => {
      if (!this.full && this.queued === "") res.write(keepAliveFrame);
    }, head.keepAliveMs);
    res.on("drain", () => {
      this.full = false;
    });
    this.keepAlive.unref();
    onResponseClosed(res, () => {
      this.closed = true;
      clearInterval(this.keepAlive);
      if (!this.ended) head.onGone?.();
    });
  }

  /** The client left, or the stream ended: writes go nowhere. */
  get done(): boolean {
    return this.ended || this.closed;
  }

  /** Adds a frame to the next write. */
  queue(text: string): void {
    this.queued += text;
  }

  /** Writes what was queued as one write; false when the socket is full (wait for `drained`). */
  flush(): boolean {
    if (this.queued === "" || this.done) return !this.full;
    const text = this.queued;
    this.queued = "";
    this.full = !this.res.write(text);
    return !this.full;
  }

  /** Resolves when the socket takes writes again, or the client left. */
  drained(): Promise<void> {
    if (this.done || !this.full) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.on("drain", done);
      this.res.on("close", done);
    });
  }

  /** The last write: what was queued, then `last`; later calls do nothing. */
  end(last = ""): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    const text = this.queued + last;
    this.queued = "";
    if (this.closed) return;
    if (text === "") this.res.end();
    else this.res.end(text);
  }

  /** Calls `listener` at each drain until the stream is done. */
  onDrain(listener: () => void): void {
    this.res.on("drain", listener);
    this.res.once("close", () => this.res.off("drain", listener));
  }
}

/** A route's reply taken over as an SSE stream, keeping the headers its hooks set (X-Correlation-Id). */
export function hijackSse(reply: FastifyReply, head: Omit<SseHead, "headers">): SseResponse {
  reply.hijack();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return new SseResponse(reply.raw, { ...head, headers });
}
