// The gateway's HTTPS front: HTTP/2 and HTTP/1.1 over TLS on one port, chosen by ALPN, serving the
// same fastify handler as the plaintext front (dual-protocol-server.ts).
import type { Server as Http1Server, IncomingMessage, ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import { httpsOptions, type TlsMaterial } from "../common/tls.js";

/** fastify's default http2SessionTimeout, as on the plaintext front. */
const IDLE_SESSION_MS = 72_000;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export function secureServer(tls: TlsMaterial): (handler: Handler) => Http1Server {
  return (handler) => {
    const server = createSecureServer(
      { ...httpsOptions(tls), allowHTTP1: true },
      handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
    );
    const sessions = new Set<Http2Session>();
    server.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
      session.setTimeout(IDLE_SESSION_MS, () => session.close());
    });
    // HTTP/1.1 connections over TLS are sessions too (allowHTTP1 wraps them), so closing the
    // sessions closes every kind of connection fastify's close waits for.
    const front = server as unknown as Http1Server;
    front.closeIdleConnections = () => {
      for (const session of sessions) session.close();
    };
    front.closeAllConnections = () => {
      for (const session of sessions) session.destroy();
    };
    return front;
  };
}
