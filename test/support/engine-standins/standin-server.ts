// What the engine stand-ins share: a loopback HTTP server, real tokens from our engine (the tiny
// model) behind it, SSE writing, and the faults a test turns on (down, 429, death mid-stream, slow).
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine } from "../../../src/engine/engine.js";
import type { EndEvent, SubmitRequest } from "../../../src/engine/types.js";

export interface Faults {
  /** Health answers 503 and generation is refused with 503. */
  down?: boolean;
  /** Generation answers this status (e.g. 429) with the engine's error body. */
  refuseWith?: number;
  /** The connection is destroyed after this many tokens. */
  dieAfterTokens?: number;
  /** Delay before each token. */
  tokenDelayMs?: number;
  /** Extra running / waiting requests its metrics report (other clients of the engine). */
  otherRunning?: number;
  otherWaiting?: number;
}

export type Handler = (req: IncomingMessage, body: unknown, res: ServerResponse) => Promise<void>;

export interface TokenFrame {
  text: string;
  id: number;
  index: number;
}

export class StandinServer {
  faults: Faults = {};
  /** Streams open now, and streams the client closed before they ended. */
  streaming = 0;
  closedByClient = 0;
  /** Request bodies received, by path. */
  readonly received: { path: string; body: unknown }[] = [];
  url = "";
  readonly engine: Engine;
  private readonly server: Server;

  constructor(engine: Engine, routes: Record<string, Handler>) {
    this.engine = engine;
    this.server = createServer((req, res) => void this.route(routes, req, res));
  }

  async start(): Promise<this> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  /**
   * Streams the engine's tokens as SSE `data:` frames; `frame` renders each token and `last`
   * the final frames. A client that closes the connection cancels the sequence, as engines do.
   */
  async stream(
    res: ServerResponse,
    request: SubmitRequest,
    frame: (token: TokenFrame) => unknown,
    last: (end: EndEvent, count: number) => unknown[],
  ): Promise<void> {
    const sequence = this.engine.submit(request);
    this.streaming += 1;
    let open = true;
    res.on("close", () => {
      if (!res.writableEnded) this.closedByClient += 1;
      open = false;
      void sequence.cancel().catch(() => false);
    });
    // Engines answer a stream's headers at once, before the first token.
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    let count = 0;
    try {
      for await (const event of sequence) {
        if (!open) continue;
        if (event.type === "end") {
          // A string is sent as it is (OpenAI's `[DONE]` sentinel is not JSON).
          for (const data of last(event, count)) {
            res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
          }
          continue;
        }
        if (this.faults.tokenDelayMs) await sleep(this.faults.tokenDelayMs);
        if (this.faults.dieAfterTokens !== undefined && count >= this.faults.dieAfterTokens) {
          res.socket?.destroy();
          open = false;
          continue;
        }
        res.write(
          `data: ${JSON.stringify(frame({ text: event.text, id: event.id, index: count }))}\n\n`,
        );
        count += 1;
      }
    } finally {
      this.streaming -= 1;
      if (open) res.end();
    }
  }

  private async route(routes: Record<string, Handler>, req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: unknown = text === "" ? undefined : JSON.parse(text);
    this.received.push({ path, body });
    const handler = routes[`${req.method} ${path}`];
    if (!handler) return this.json(res, 404, { error: `no route ${req.method} ${path}` });
    try {
      await handler(req, body, res);
    } catch (error) {
      if (!res.headersSent) this.json(res, 500, { error: String(error) });
    }
  }
}

/** `sampling` as the native engine takes it, from the numbers a protocol sent. */
export function submitRequest(fields: {
  prompt: string;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  stop?: string[];
  ignoreEos?: boolean;
}): SubmitRequest {
  const request: SubmitRequest = { prompt: fields.prompt, maxTokens: fields.maxTokens };
  request.sampling = {};
  if (fields.temperature !== undefined) request.sampling.temperature = fields.temperature;
  if (fields.seed !== undefined) request.sampling.seed = fields.seed;
  if (fields.stop && fields.stop.length > 0) request.stop = fields.stop;
  if (fields.ignoreEos) request.ignoreEos = true;
  return request;
}
