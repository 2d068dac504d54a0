// POST /v1/models/import: registers what the local model stores already hold, over ImportModels.
import type { FastifyInstance } from "fastify";
import type { ImportModelsResponse } from "../gen/llama_orch/v1/catalog.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import {
  type ImportRequestDto,
  toImportModelsRequest,
  toImportResultDto,
} from "./translate-imports.js";

export function registerImportRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
  const schema = operationSchemas("control.yaml", "importModels");
  app.post<{ Body: ImportRequestDto | undefined }>(
    "/v1/models/import",
    { schema },
    async (request, reply) => {
      try {
        const call = toImportModelsRequest(request.body);
        const metadata = correlationMetadata(request);
        const result = await unaryCall<ImportModelsResponse>((cb) =>
          clients.catalog.importModels(call, metadata, cb),
        );
        return reply.send(toImportResultDto(result));
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );
}
