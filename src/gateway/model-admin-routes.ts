// The catalog as an operator manages it: the entry list with trust, pins and last use; pin and
// unpin; pull-cache garbage collection (POST /v1/models/gc).
import type { FastifyInstance } from "fastify";
import type {
  CatalogEntry,
  CollectGarbageResponse,
  ListModelsResponse,
} from "../gen/llama_orch/v1/catalog.js";
import { answer, schema } from "./control-routes.js";
import type { GatewayContext } from "./gateway-context.js";
import { unaryCall } from "./grpc-call.js";
import {
  type GcRequestDto,
  toCatalogListEntryDto,
  toCollectGarbageRequest,
  toGcResultDto,
} from "./translate-control.js";

export function registerModelAdminRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
  const { catalog } = clients;
  app.get("/v1/catalog/models", schema("listCatalogModels"), (_request, reply) =>
    answer(reply, async () => {
      const list = await unaryCall<ListModelsResponse>((cb) => catalog.listModels({}, cb));
      return { models: list.models.map(toCatalogListEntryDto) };
    }),
  );
  app.post<{ Params: { id: string }; Body: { pinned: boolean } }>(
    "/v1/catalog/models/:id/pin",
    schema("pinCatalogModel"),
    (request, reply) =>
      answer(reply, async () => {
        const pin = { id: request.params.id, pinned: request.body.pinned };
        return toCatalogListEntryDto(
          await unaryCall<CatalogEntry>((cb) => catalog.pinModel(pin, cb)),
        );
      }),
  );
  app.post<{ Body: GcRequestDto | null | undefined }>(
    "/v1/models/gc",
    schema("collectModelGarbage"),
    (request, reply) =>
      answer(reply, async () => {
        const gc = toCollectGarbageRequest(request.body);
        return toGcResultDto(
          await unaryCall<CollectGarbageResponse>((cb) => catalog.collectGarbage(gc, cb)),
        );
      }),
  );
}
