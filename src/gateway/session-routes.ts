// Session routes of the data plane: read a session's metadata and budgets, or evict it.
import type { FastifyInstance } from "fastify";
import type { DeleteSessionResponse, SessionInfo } from "../gen/llama_orch/v1/orchestrator.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import { toSessionBody } from "./translate-tasks.js";

interface SessionParams {
  id: string;
}

export function registerSessionRoutes(app: FastifyInstance, context: GatewayContext): void {
  const { orchestrator } = context.clients;
  app.get<{ Params: SessionParams }>(
    "/v1/sessions/:id",
    { schema: operationSchemas("data.yaml", "getSession") },
    async (request) => {
      const info = await unaryCall<SessionInfo>((cb) =>
        orchestrator.getSession({ sessionId: request.params.id }, correlationMetadata(request), cb),
      );
      return toSessionBody(info);
    },
  );
  app.delete<{ Params: SessionParams }>(
    "/v1/sessions/:id",
    { schema: operationSchemas("data.yaml", "deleteSession") },
    async (request, reply) => {
      // Deleting a session that is already gone succeeds too (ORCH-2005).
      await unaryCall<DeleteSessionResponse>((cb) =>
        orchestrator.deleteSession(
          { sessionId: request.params.id },
          correlationMetadata(request),
          cb,
        ),
      );
      return reply.code(204).send();
    },
  );
}
