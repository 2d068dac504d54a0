// Health for load balancers and orchestrators: /health as llama-server answers it, /readyz and
// /livez for Kubernetes probes, and /v1/pools with every pool's state. The probes are public.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ListPoolsResponse } from "../gen/llama_orch/v1/pool.js";
import { sendError } from "./error-envelope.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import { type PoolStateDto, poolState, toPoolHealthDto } from "./translate-control.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Answered without a token; the handler sees `identity` empty when none (or a bad one) came. */
    public?: boolean;
  }
}

export type HealthStatus = "ok" | "loading" | "unavailable";

export interface HealthBody {
  status: HealthStatus;
  pools?: { pool_id: string; state: PoolStateDto }[];
}

/** ok when any pool is ready; loading while one is still loading; unavailable otherwise. */
export function overallStatus(states: readonly PoolStateDto[]): HealthStatus {
  if (states.includes("ready")) return "ok";
  return states.includes("loading") ? "loading" : "unavailable";
}

/** The readiness answer; a control plane that does not answer is `unavailable`, not an error. */
async function readiness(context: GatewayContext, request: FastifyRequest) {
  const list = await unaryCall<ListPoolsResponse>((done) =>
    context.clients.pools.list({}, correlationMetadata(request), done),
  ).catch(() => ({ pools: [] }));
  const pools = list.pools.map((p) => ({ pool_id: p.poolId, state: poolState(p) }));
  const body: HealthBody = { status: overallStatus(pools.map((p) => p.state)) };
  // Decision 1: without a token the probes say ready or not, nothing about the deployment.
  if (request.identity !== "") body.pools = pools;
  return { code: body.status === "ok" ? 200 : 503, body };
}

const publicRoute = (operationId: string) => ({
  schema: operationSchemas("control.yaml", operationId),
  config: { public: true },
});

export function registerHealthRoutes(app: FastifyInstance, context: GatewayContext): void {
  for (const [path, operationId] of [
    ["/health", "getHealth"],
    ["/readyz", "getReadyz"],
  ] as const) {
    app.get(path, publicRoute(operationId), async (request, reply) => {
      const { code, body } = await readiness(context, request);
      return reply.code(code).send(body);
    });
  }
  app.get("/livez", publicRoute("getLivez"), async () => ({ status: "ok" }));
  app.get(
    "/v1/pools",
    { schema: operationSchemas("control.yaml", "listPools") },
    (request, reply) =>
      unaryCall<ListPoolsResponse>((done) =>
        context.clients.pools.list({}, correlationMetadata(request), done),
      ).then(
        (list) => reply.send({ pools: list.pools.map(toPoolHealthDto) }),
        (error: unknown) => sendError(reply, error),
      ),
  );
}
