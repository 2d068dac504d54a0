// POST /v1/workers/register (SPEC 5.3): attaches a running worker to a pool by its address. The
// route always wants a Bearer token (AUTH-1003), even where AUTH_OPTIONAL lets loopback skip it.
import type { FastifyInstance } from "fastify";
import type { RegisterResponse } from "../gen/llama_orch/v1/worker.js";
import type { components } from "../gen/openapi/control.js";
import { missingToken, sendAuthError } from "./auth.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";

type Schemas = components["schemas"];
type Registration = Schemas["WorkerRegistration"];
type Registered = Schemas["WorkerRegistered"];

export function registerWorkerRoutes(app: FastifyInstance, { clients }: GatewayContext): void {
  app.post<{ Body: Registration }>(
    "/v1/workers/register",
    { schema: operationSchemas("control.yaml", "registerWorker") },
    async (request, reply) => {
      // With a token configured the onRequest hook already compared it; without one any is fine.
      if (request.headers.authorization === undefined) {
        const hint = "worker registration always needs `Authorization: Bearer <token>`";
        return sendAuthError(reply, missingToken(hint));
      }
      const { pool_id = "default", replica_id = "r0", address } = request.body;
      try {
        const registered = await unaryCall<RegisterResponse>((cb) =>
          clients.registry.register(
            // An address registered by hand has no instance of ours to track.
            { poolId: pool_id, address, instanceId: "", sequence: 0 },
            cb,
          ),
        );
        const body: Registered = {
          ok: true,
          identity: request.identity,
          pool_id,
          replica_id,
          worker_id: registered.workerId,
          heartbeat_interval_ms: registered.heartbeatIntervalMs,
        };
        return reply.send(body);
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );
}
