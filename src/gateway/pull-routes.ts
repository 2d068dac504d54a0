// POST /v1/models/pull: answers once the source has resolved (so a refused or missing model is a
// plain HTTP error), then streams the pull's progress as SSE until done or error.
import type { ServerResponse } from "node:http";
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { fromErrorDetail, fromServiceError, toErrorDetail } from "../common/grpc-errors.js";
import type { PullEvent } from "../gen/llama_orch/v1/catalog.js";
import { onResponseClosed } from "./client-gone.js";
import { sendError } from "./error-envelope.js";
import { correlationMetadata } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import type { GatewayContext } from "./server.js";
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

function pipePull(call: PullCall, res: ServerResponse, ref: string, seen: PullEvent[]): void {
  let done = false;
  const finish = (last?: string) => {
    if (done) return;
    done = true;
    res.end(last);
  };
  const onEvent = (event: PullEvent) => {
    const frame = pullFrame(event, ref);
    if (isPullTerminal(event)) finish(frame);
    else if (frame !== undefined && !done) res.write(frame);
  };
  // Leaving stops only this listener; the download goes on for other pullers and the catalog.
  onResponseClosed(res, () => {
    if (!done) call.cancel();
    done = true;
  });
  for (const event of seen) onEvent(event);
  call.on("data", onEvent);
  call.on("error", (error: ServiceError) => {
    const value = toErrorDetail(fromServiceError(error));
    const pullId = seen[0]?.pullId ?? "";
    finish(pullFrame({ pullId, event: { $case: "error", value } }, ref));
  });
  call.on("end", () => finish());
  call.resume();
}

export function registerPullRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
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
      const res = reply.raw;
      res.socket?.setNoDelay(true);
      res.writeHead(202, {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
        "X-Correlation-Id": request.correlationId,
        "X-Pull-Id": seen[0]?.pullId ?? "",
      });
      pipePull(call, res, ref, seen);
    },
  );
}
