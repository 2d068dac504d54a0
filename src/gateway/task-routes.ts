// Data-plane routes: admit a task (202), stream its events as SSE, cancel it (204), and sessions.
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { DEFAULT_SSE_KEEPALIVE_MS } from "../common/config-schema.js";
import { OrchError } from "../common/errors.js";
import { fromServiceError } from "../common/grpc-errors.js";
import type {
  Admission,
  CancelResponse,
  TaskEvent,
  TaskRecord,
} from "../gen/llama_orch/v1/orchestrator.js";
import { onResponseClosed } from "./client-gone.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import { registerSessionRoutes } from "./session-routes.js";
import { pipeTaskEvents } from "./sse-writer.js";
import {
  budgetHeaders,
  type TaskRequestBody,
  toAdmissionBody,
  toTaskRecordBody,
  toTaskRequest,
} from "./translate-tasks.js";

/** The stream's first event (Attach replays `admitted`), or its error; leaves the call paused. */
function firstEvent(call: ClientReadableStream<TaskEvent>): Promise<TaskEvent> {
  return new Promise((resolve, reject) => {
    call.once("data", (event: TaskEvent) => {
      call.pause();
      resolve(event);
    });
    // Kept attached: a late error must not go unhandled before the pipe takes the call over.
    call.on("error", (error: ServiceError) => reject(fromServiceError(error)));
    call.on("end", () =>
      reject(new OrchError("INTERNAL", "the task's stream ended before its first event; retry")),
    );
  });
}

interface TaskParams {
  id: string;
}

/** Query strings are text: the contract's boolean `verbose` is accepted as "true" or "false". */
const streamQuery = {
  type: "object",
  properties: { verbose: { type: "string", enum: ["true", "false"] } },
};

function registerStream(app: FastifyInstance, context: GatewayContext): void {
  const { orchestrator } = context.clients;
  const interval = context.sseKeepaliveMs ?? DEFAULT_SSE_KEEPALIVE_MS;
  const schema = { ...operationSchemas("data.yaml", "streamTask"), querystring: streamQuery };
  app.get<{ Params: TaskParams; Querystring: { verbose?: string } }>(
    "/v1/tasks/:id/stream",
    { schema },
    async (request, reply) => {
      const taskId = request.params.id;
      const call = orchestrator.attach({ taskId }, correlationMetadata(request));
      // Watched from the request's arrival: a client gone while its task is still queued (before
      // the first event) cancels it as surely as one gone mid-stream.
      let ended = false;
      onResponseClosed(reply.raw, () => {
        if (ended) return;
        context.log.info(
          { task_id: taskId, correlation_id: request.correlationId },
          "sse client gone; cancelling its task",
        );
        orchestrator.cancel({ taskId }, correlationMetadata(request), () => undefined);
        call.cancel();
      });
      const first = await firstEvent(call).catch((error: unknown) => {
        if (reply.raw.destroyed) return undefined; // our own cancel: nobody to answer
        throw error;
      });
      if (first === undefined || reply.raw.destroyed) {
        reply.hijack();
        return;
      }
      const admitted = first.event?.$case === "admitted" ? first.event.value : undefined;
      reply.hijack();
      pipeTaskEvents({
        call,
        first,
        res: reply.raw,
        headers: { "X-Correlation-Id": request.correlationId, ...budgetHeaders(admitted?.budgets) },
        verbose: request.query.verbose === "true",
        keepAliveMs: interval,
        onEnded: () => {
          ended = true;
        },
      });
    },
  );
}

export function registerTaskRoutes(app: FastifyInstance, context: GatewayContext): void {
  const { orchestrator } = context.clients;
  app.post<{ Body: TaskRequestBody }>(
    "/v1/tasks",
    { schema: operationSchemas("data.yaml", "createTask") },
    async (request, reply) => {
      const task = toTaskRequest(request.body, request.identity);
      const admission = await unaryCall<Admission>((cb) =>
        orchestrator.enqueue(task, correlationMetadata(request), cb),
      );
      reply.code(202).headers(budgetHeaders(admission.budgets));
      return toAdmissionBody(admission);
    },
  );
  app.get<{ Params: TaskParams }>(
    "/v1/tasks/:id",
    { schema: operationSchemas("data.yaml", "getTask") },
    async (request) =>
      toTaskRecordBody(
        await unaryCall<TaskRecord>((cb) =>
          orchestrator.getTask({ taskId: request.params.id }, correlationMetadata(request), cb),
        ),
      ),
  );
  registerStream(app, context);
  app.post<{ Params: TaskParams }>(
    "/v1/tasks/:id/cancel",
    { schema: operationSchemas("data.yaml", "cancelTask") },
    async (request, reply) => {
      const outcome = await unaryCall<CancelResponse>((cb) =>
        orchestrator.cancel({ taskId: request.params.id }, correlationMetadata(request), cb),
      );
      // Tokens sent before the cancel took effect: no token follows them on any stream.
      reply.code(204).header("X-Tokens-Delivered", String(outcome.tokensDelivered));
      return reply.send();
    },
  );
  registerSessionRoutes(app, context);
}
