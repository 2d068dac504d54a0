// CORS for browser clients (config `gateway.cors_origins`): off when the list is empty. Only an
// exact listed origin is echoed back; preflights are answered here, before auth, since browsers
// send no Authorization header on them.
import type { FastifyInstance } from "fastify";

const ALLOW_METHODS = "GET, POST, DELETE, OPTIONS";
const ALLOW_HEADERS = "authorization, content-type, x-correlation-id, x-session-id";
const EXPOSE_HEADERS =
  "x-correlation-id, retry-after, x-backoff-ms, x-budget-tokens-remaining, " +
  "x-budget-time-remaining-ms, x-budget-cost-remaining, x-tokens-delivered";
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = "600";

/** Registers the CORS hook; call it before any auth hook. Does nothing for an empty list. */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    const preflight =
      request.method === "OPTIONS" &&
      request.headers["access-control-request-method"] !== undefined;
    // Set on the raw response so hijacked replies (SSE streams) carry the headers too.
    reply.raw.setHeader("Vary", "Origin");
    if (typeof origin === "string" && allowed.has(origin)) {
      reply.raw.setHeader("Access-Control-Allow-Origin", origin);
      reply.raw.setHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
      if (preflight) {
        reply.raw.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
        reply.raw.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS);
        reply.raw.setHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
      }
    }
    // A preflight from an unlisted origin is answered too, without any allow header: the browser
    // then refuses the real request.
    if (preflight) return reply.code(204).send();
  });
}
