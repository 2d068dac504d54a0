import type { FastifyInstance, FastifyReply } from "fastify";
import { ownerMetadata } from "../common/artifact-owner.js";
import { OrchError } from "../common/errors.js";
import type { ListArtifactsResponse } from "../gen/llama_orch/v1/artifacts.js";
import type { RestartResponse } from "../gen/llama_orch/v1/pool.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import {
  type ArtifactDto,
  type CatalogModelDto,
  type ModelStateDto,
  type PurgeRequestDto,
  toArtifactDto,
  toArtifactRef,
  toArtifactRefDto,
  toCapabilitiesDto,
  toCatalogModelDto,
  toCreateArtifactRequest,
  toCreateModelRequest,
  toModelState,
  toPoolHealthDto,
  toPurgeRequest,
  toPurgeResponseDto,
  toReloadResponseDto,
  toVerifyDto,
} from "./translate-control.js";

/** Runs `work` and sends its answer, or the error envelope of whatever it threw. */
export async function answer(
  reply: FastifyReply,
  work: () => Promise<unknown>,
): Promise<FastifyReply> {
  try {
    return reply.send(await work());
  } catch (error) {
    return sendError(reply, error);
  }
}

export const schema = (operationId: string) => ({
  schema: operationSchemas("control.yaml", operationId),
});

interface IdParams {
  Params: { id: string };
}

export function registerControlRoutes(app: FastifyInstance, context: GatewayContext): void {
  registerPoolRoutes(app, context);
  registerCatalogRoutes(app, context);
  registerArtifactRoutes(app, context);
}

function registerPoolRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
  const { orchestrator, pools } = clients;
  app.get("/v1/capabilities", schema("getCapabilities"), (_request, reply) =>
    answer(reply, async () =>
      toCapabilitiesDto(await unaryCall((cb) => orchestrator.getCapabilities({}, cb))),
    ),
  );
  app.get<IdParams>("/v1/pools/:id/health", schema("getPoolHealth"), (request, reply) =>
    answer(reply, async () =>
      toPoolHealthDto(await unaryCall((cb) => pools.health({ poolId: request.params.id }, cb))),
    ),
  );
  app.post<IdParams>("/v1/pools/:id/restart", schema("restartPool"), (request, reply) =>
    answer(reply.code(202), async () => {
      const ref = { poolId: request.params.id };
      const restarted = await unaryCall<RestartResponse>((cb) => pools.restart(ref, cb));
      return { accepted: restarted.accepted };
    }),
  );
  app.post<IdParams & { Body: { deadline_ms: number } }>(
    "/v1/pools/:id/drain",
    schema("drainPool"),
    (request, reply) =>
      answer(reply.code(202), async () => {
        const drain = { poolId: request.params.id, deadlineMs: request.body.deadline_ms };
        await unaryCall((cb) => pools.drain(drain, cb));
        return undefined;
      }),
  );
  app.post<IdParams & { Body: { new_model_ref: string } }>(
    "/v1/pools/:id/reload",
    schema("reloadPool"),
    (request, reply) =>
      answer(reply.code(202), async () => {
        const reload = { poolId: request.params.id, newModelRef: request.body.new_model_ref };
        return toReloadResponseDto(await unaryCall((cb) => pools.reload(reload, cb)));
      }),
  );
  app.post<IdParams & { Body: Partial<PurgeRequestDto> | null | undefined }>(
    "/v1/pools/:id/purge",
    schema("purgePool"),
    (request, reply) =>
      answer(reply.code(202), async () => {
        const purge = toPurgeRequest(request.params.id, request.body);
        return toPurgeResponseDto(await unaryCall((cb) => pools.purge(purge, cb)));
      }),
  );
}

function registerCatalogRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
  const { catalog } = clients;
  app.post<{ Body: CatalogModelDto }>(
    "/v1/catalog/models",
    schema("createCatalogModel"),
    (request, reply) =>
      answer(reply.code(201), async () => {
        const create = toCreateModelRequest(request.body);
        return toCatalogModelDto(await unaryCall((cb) => catalog.createModel(create, cb)));
      }),
  );
  app.get<IdParams>("/v1/catalog/models/:id", schema("getCatalogModel"), (request, reply) =>
    answer(reply, async () =>
      toCatalogModelDto(await unaryCall((cb) => catalog.getModel({ id: request.params.id }, cb))),
    ),
  );
  app.delete<IdParams>("/v1/catalog/models/:id", schema("deleteCatalogModel"), (request, reply) =>
    answer(reply.code(204), async () => {
      await unaryCall((cb) => catalog.deleteModel({ id: request.params.id }, cb));
      return undefined;
    }),
  );
  app.post<IdParams>(
    "/v1/catalog/models/:id/verify",
    schema("verifyCatalogModel"),
    (request, reply) =>
      answer(reply.code(202), async () =>
        toVerifyDto(await unaryCall((cb) => catalog.verifyModel({ id: request.params.id }, cb))),
      ),
  );
  // deadline_ms (drain before retirement) is accepted but not acted on: retiring takes effect
  // for new admissions at once and running tasks finish normally.
  app.post<IdParams & { Body: { state: ModelStateDto; deadline_ms?: number } }>(
    "/v1/catalog/models/:id/state",
    schema("setCatalogModelState"),
    (request, reply) =>
      answer(reply.code(202), async () => {
        const change = { id: request.params.id, state: toModelState(request.body.state) };
        await unaryCall((cb) => catalog.setModelState(change, cb));
        return undefined;
      }),
  );
}

/**
 * Query values arrive as text and the gateway does not coerce types: `limit` is checked as digits
 * here (1 or more) and its upper bound (the contract's 100) below, with the field named.
 */
const listQuery = {
  type: "object",
  properties: {
    limit: { type: "string", pattern: "^[1-9][0-9]{0,8}$" },
    page_token: { type: "string" },
  },
};

function registerArtifactRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
  const { artifacts } = clients;
  app.post<{ Body: ArtifactDto }>("/v1/artifacts", schema("createArtifact"), (request, reply) =>
    answer(reply.code(201), async () => {
      const create = toCreateArtifactRequest(request.body);
      const owner = ownerMetadata(request.identity);
      return toArtifactRefDto(await unaryCall((cb) => artifacts.createArtifact(create, owner, cb)));
    }),
  );
  app.get<{ Querystring: { limit?: string; page_token?: string } }>(
    "/v1/artifacts",
    { schema: { ...schema("listArtifacts").schema, querystring: listQuery } },
    (request, reply) =>
      answer(reply, async () => {
        const { limit, page_token: pageToken = "" } = request.query;
        const list = { kind: "", limit: limit === undefined ? 0 : Number(limit), pageToken };
        if (list.limit > 100)
          throw new OrchError("INVALID_PARAMS", `limit ${list.limit} is over 100; page instead`);
        const page = await unaryCall<ListArtifactsResponse>((cb) =>
          artifacts.listArtifacts(list, ownerMetadata(request.identity), cb),
        );
        const body: { artifacts: unknown[]; next_page_token?: string } = {
          artifacts: page.artifacts.map(toArtifactRefDto),
        };
        if (page.nextPageToken) body.next_page_token = page.nextPageToken;
        return body;
      }),
  );
  app.get<IdParams>("/v1/artifacts/:id", schema("getArtifact"), (request, reply) =>
    answer(reply, async () =>
      toArtifactDto(
        await unaryCall((cb) =>
          artifacts.getArtifact(
            toArtifactRef(request.params.id),
            ownerMetadata(request.identity),
            cb,
          ),
        ),
      ),
    ),
  );
}
