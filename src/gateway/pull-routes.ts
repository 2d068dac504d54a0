// POST /v1/models/pull: answers once the source has resolved (so a refused or missing model is a
// plain HTTP error), then streams the pull's progress as SSE until done or error.
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { DEFAULT_SSE_KEEPALIVE_MS } from "../common/config-schema.js";
import { fromErrorDetail, fromServiceError, toErrorDetail } from "../common/grpc-errors.js";
import type { PullEvent } from "../gen/llama_orch/v1/catalog.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import { pipeSse, type SseFrames } from "./sse-writer.js";
import { isPullTerminal, pullFrame } from "./translate-pulls.js";

type PullCall = ClientReadableStream<PullEvent>;

/** The events up to the first past `resolving`, the call paused; rejects with a typed error. */
function untilResolved(call: PullCall): Promise<PullEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: PullEvent[] = [];
    const onData = (event: PullEvent) => {
      const e = event.event;
      if (e?.$case === "error") return settle(() => reject(fromErrorDetail(e.value)));
      seen.push(event);
      if (event.event?.$case !== "resolving") settle(() => resolve(seen));
    };
    const onError = (error: ServiceError) => settle(() => reject(fromServiceError(error)));
    const settle = (then: () => void) => {
      call.off("data", onData);
      call.off("error", onError);
      call.pause();
      then();
    };
    call.on("data", onData);
    call.on("error", onError);
  });
}

/** SSE frames of one pull; a failed call's error carries the pull's id like every other frame. */
function pullFrames(ref: string, pullId: string): SseFrames<PullEvent> {
  return {
    frame: (event) => pullFrame(event, ref),
    isTerminal: isPullTerminal,
    errorFrame: (error) =>
      pullFrame({ pullId, event: { $case: "error", value: toErrorDetail(error) } }, ref) ?? "",
  };
}

export function registerPullRoutes(app: FastifyInstance, context: GatewayContext): void {
  const { clients } = context;
  const schema = operationSchemas("control.yaml", "pullModel");
  app.post<{ Body: { ref: string; alias?: string } }>(
    "/v1/models/pull",
    { schema },
    async (request, reply) => {
      const { ref, alias } = request.body;
      const call = clients.catalog.pullModel(
        { ref, alias: alias ?? "" },
        correlationMetadata(request),
      );
      let seen: PullEvent[];
      try {
        seen = await untilResolved(call);
      } catch (error) {
        return sendError(reply, error);
      }
      reply.hijack();
      const pullId = seen[0]?.pullId ?? "";
      pipeSse(
        {
          call,
          first: seen,
          res: reply.raw,
          status: 202,
          headers: { "X-Correlation-Id": request.correlationId, "X-Pull-Id": pullId },
          keepAliveMs: context.sseKeepaliveMs ?? DEFAULT_SSE_KEEPALIVE_MS,
          // Leaving stops only this listener; the download goes on for other pullers and the catalog.
          onGone: () => call.cancel(),
        },
        pullFrames(ref, pullId),
      );
    },
  );
}
