// GET /v1/status (one snapshot) and GET /v1/events (the live operator's view over SSE): the
// status page reads the stream, any client may.
import type { ServiceError } from "@grpc/grpc-js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DEFAULT_SSE_KEEPALIVE_MS } from "../common/config-schema.js";
import { fromServiceError } from "../common/grpc-errors.js";
import type { StatusClient, StatusSnapshot } from "../gen/llama_orch/v1/status.js";
import { onResponseClosed } from "./client-gone.js";
import { toEnvelope } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import { toStatusDto } from "./translate-status.js";

function statusFrame(snapshot: StatusSnapshot): string {
  return `event: status\ndata: ${JSON.stringify(toStatusDto(snapshot))}\n\n`;
}

export function registerEventsRoutes(app: FastifyInstance, context: GatewayContext): void {
  const { status } = context.clients;
  const keepAliveMs = context.sseKeepaliveMs ?? DEFAULT_SSE_KEEPALIVE_MS;
  // Status streams never end on their own: closing the gateway ends them, or its close would wait.
  const streams = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of streams) end();
  });
  app.get(
    "/v1/status",
    { schema: operationSchemas("control.yaml", "getStatus") },
    async (request) =>
      toStatusDto(
        await unaryCall<StatusSnapshot>((cb) =>
          status.getStatus({ intervalMs: 0 }, correlationMetadata(request), cb),
        ),
      ),
  );
  app.get<{ Querystring: { interval_ms?: string } }>(
    "/v1/events",
    { schema: operationSchemas("control.yaml", "streamEvents") },
    (request, reply) => streamStatus(request, reply, { status, keepAliveMs, streams }),
  );
}

interface StatusStreams {
  status: StatusClient;
  keepAliveMs: number;
  /** How to end each open stream, for the gateway's close. */
  streams: Set<() => void>;
}

/** Pipes WatchStatus into one SSE response until the client or the gateway goes away. */
function streamStatus(
  request: FastifyRequest<{ Querystring: { interval_ms?: string } }>,
  reply: FastifyReply,
  { status, keepAliveMs, streams }: StatusStreams,
): void {
  const intervalMs = Number(request.query.interval_ms ?? 0);
  const call = status.watchStatus({ intervalMs }, correlationMetadata(request));
  const res = reply.hijack().raw;
  res.socket?.setNoDelay(true);
  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
    "X-Correlation-Id": request.correlationId,
  });
  res.flushHeaders();
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
  keepAlive.unref();
  let open = true;
  const close = (last?: string) => {
    streams.delete(shutdown);
    if (!open) return;
    open = false;
    clearInterval(keepAlive);
    res.end(last);
  };
  const shutdown = () => {
    call.cancel();
    close();
  };
  streams.add(shutdown);
  // Snapshots supersede each other: one the socket cannot take yet is skipped, not queued.
  call.on("data", (snapshot: StatusSnapshot) => {
    if (open && !res.writableNeedDrain) res.write(statusFrame(snapshot));
  });
  call.on("error", (error: ServiceError) => {
    const body = toEnvelope(fromServiceError(error));
    close(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
  });
  call.on("end", () => close());
  onResponseClosed(res, () => {
    streams.delete(shutdown);
    open = false;
    clearInterval(keepAlive);
    call.cancel();
  });
}
