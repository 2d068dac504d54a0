// One port, both protocols (OC-CTRL-2025): HTTP/2 for clients that open with its connection preface
// (h2c with prior knowledge; there is no TLS here to negotiate it by ALPN), HTTP/1.1 for the rest.
// Each accepted socket is peeked once and handed to the server that speaks its protocol; the same
// fastify handler serves both, so behaviour is identical.
import {
  createServer as createHttp1Server,
  type Server as Http1Server,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";

/** What an HTTP/2 client sends first (RFC 9113, 3.4); no HTTP/1 request line starts like it. */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** How long an accepted connection may stay silent before its first bytes (cf. headersTimeout). */
const FIRST_BYTES_MS = 30_000;
/** fastify's default http2SessionTimeout. */
const IDLE_SESSION_MS = 72_000;

/**
 * Fastify's handler. Typed for HTTP/1 as fastify's default types are; HTTP/2 requests reach it
 * through node's compatibility API, which has the same shape for everything the routes use.
 */
type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** The parts of an http.Server fastify uses with a server factory: listen, address, close. */
interface FrontServer extends Server {
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

function isHttp2(first: Buffer): boolean {
  const n = Math.min(first.length, PREFACE.length);
  return n > 0 && first.subarray(0, n).equals(PREFACE.subarray(0, n));
}

export function dualProtocolServer(handler: Handler): Http1Server {
  const http1 = createHttp1Server(handler);
  const http2 = createHttp2Server(
    handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  const sessions = new Set<Http2Session>();
  http2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // As fastify does for its own HTTP/2 servers: an idle session is closed, not kept forever.
    session.setTimeout(IDLE_SESSION_MS, () => session.close());
  });
  // Sockets accepted whose first bytes have not arrived yet.
  const undecided = new Set<Socket>();
  const front = createNetServer((socket: Socket) => {
    undecided.add(socket);
    const drop = () => socket.destroy();
    socket.once("error", drop);
    // A connection that never says which protocol it speaks is not kept open.
    socket.setTimeout(FIRST_BYTES_MS, drop);
    socket.once("close", () => undecided.delete(socket));
    socket.once("data", (first: Buffer) => {
      undecided.delete(socket);
      socket.off("error", drop);
      socket.setTimeout(0);
      socket.off("timeout", drop);
      socket.pause();
      socket.unshift(first);
      // HTTP/2 reads what is buffered itself (on the next tick); HTTP/1 parses 'data' events.
      if (isHttp2(first)) {
        http2.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  }) as FrontServer;
  // The HTTP/1 server never listens itself: its connection tracking (headersTimeout,
  // requestTimeout, closing idle keep-alive sockets) starts and stops with the front's.
  front.on("listening", () => http1.emit("listening"));
  front.on("close", () => http1.close());
  front.closeIdleConnections = () => {
    http1.closeIdleConnections();
    for (const session of sessions) session.close();
    for (const socket of undecided) socket.destroy();
  };
  front.closeAllConnections = () => {
    http1.closeAllConnections();
    for (const session of sessions) session.destroy();
    for (const socket of undecided) socket.destroy();
  };
  return front as unknown as Http1Server;
}
