// The HTTP/SSE gateway: a fastify server whose routes translate each call into the control
// plane's gRPC calls. Correlation ids, auth and the error envelope are applied here, once.
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { isAddressInUse, StartupError } from "../common/startup-error.js";
import type { TlsMaterial } from "../common/tls.js";
import { type AuthSettings, authenticate, bindRefusal, sendAuthError } from "./auth.js";
import { registerBodyParsers } from "./body-parsers.js";
import { registerCors } from "./cors.js";
import { dualProtocolServer } from "./dual-protocol-server.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { connectControl } from "./grpc-clients.js";
import { BODY_LIMIT_BYTES } from "./http-errors.js";
import { registerRoutes } from "./routes.js";
import { secureServer } from "./secure-server.js";
import { isStatusPagePath } from "./status-page/page-routes.js";

export interface GatewayOptions {
  /** host:port to listen on (port 0: any). */
  httpAddr: string;
  /** The control plane's gRPC address. */
  grpcAddr: string;
  auth: AuthSettings;
  log: Logger;
  /** The control plane's metrics, when it runs in this process (`llama-orch serve`). */
  metrics?: Registry;
  /** Config `gateway.sse_keepalive_ms`. */
  sseKeepaliveMs: number;
  /** Config `gateway.cors_origins`; empty: CORS off. */
  corsOrigins: readonly string[];
  /** Config `tls`: HTTPS (h2 and HTTP/1.1 by ALPN) here, mutual TLS to the control plane. */
  tls?: TlsMaterial;
}

export interface RunningGateway {
  address: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    correlationId: string;
    identity: string;
  }
}

export function buildGateway(context: GatewayContext, auth: AuthSettings): FastifyInstance {
  const app = Fastify({
    serverFactory: context.tls ? secureServer(context.tls) : dualProtocolServer,
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: {
      customOptions: {
        strict: false,
        removeAdditional: false,
        coerceTypes: false,
        allErrors: false,
      },
    },
  });
  app.decorateRequest("correlationId", "");
  app.decorateRequest("identity", "");
  registerCors(app, context.corsOrigins ?? []);
  registerBodyParsers(app);
  app.addHook("onRequest", async (request, reply) => {
    const given = request.headers["x-correlation-id"];
    request.correlationId =
      typeof given === "string" && given.length > 0 && given.length <= 128 ? given : randomUUID();
    reply.header("X-Correlation-Id", request.correlationId);
    if (isStatusPagePath(request.url)) return;
    const outcome = authenticate(request, auth);
    if (outcome.ok) request.identity = outcome.identity;
    // Public routes (health probes) answer anyway; an empty identity tells them to say less.
    else if (!request.routeOptions.config.public) return sendAuthError(reply, outcome);
  });
  // Identity breadcrumbs (AUTH-1008): one line per request; never the token or its header.
  app.addHook("onResponse", async (request, reply) => {
    context.log.info(
      {
        correlation_id: request.correlationId,
        method: request.method,
        url: request.url.split("?")[0],
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
        identity: request.identity || "anonymous",
      },
      "http request",
    );
  });
  app.setErrorHandler((error, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new OrchError(
        "ROUTE_NOT_FOUND",
        `no route ${request.method} ${request.url.split("?")[0]}; see contracts/openapi`,
      ),
    ),
  );
  registerRoutes(app, context);
  return app;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const split = options.httpAddr.lastIndexOf(":");
  const host = options.httpAddr.slice(0, split);
  const refusal = bindRefusal(host, options.auth);
  if (refusal) throw new OrchError("INVALID_PARAMS", refusal);
  const clients = connectControl(options.grpcAddr, options.auth.token, options.tls);
  const app = buildGateway(
    {
      clients,
      log: options.log,
      metrics: options.metrics,
      sseKeepaliveMs: options.sseKeepaliveMs,
      corsOrigins: options.corsOrigins,
      tls: options.tls,
    },
    options.auth,
  );
  await app.listen({ host, port: Number(options.httpAddr.slice(split + 1)) }).catch((error) => {
    clients.close();
    if (!isAddressInUse(error)) throw error;
    const why = `server.http_addr: ${options.httpAddr} is in use by another process; stop it or choose another port`;
    throw new StartupError(why, { cause: error });
  });
  const bound = app.server.address();
  const port = typeof bound === "object" && bound ? bound.port : 0;
  return {
    address: `${host}:${port}`,
    app,
    async close() {
      await app.close();
      clients.close();
    },
  };
}
