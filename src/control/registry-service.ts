// WorkerRegistry gRPC handlers: workers register on start and heartbeat their telemetry.
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
  WorkerRegistryServer,
} from "../gen/llama_orch/v1/worker.js";
import { unary } from "./grpc-unary.js";
import type { PoolRegistry } from "./pool-registry.js";

export function registryService(registry: PoolRegistry, heartbeatMs: number): WorkerRegistryServer {
  return {
    register: unary<RegisterRequest, RegisterResponse>(async (request) => {
      const { poolId, address } = request;
      if (!/^[a-z0-9-]+$/.test(poolId) || address.length === 0) {
        throw new OrchError(
          "INVALID_PARAMS",
          "register needs a pool_id ([a-z0-9-]+) and the worker's address",
        );
      }
      // Our workers describe themselves; a registration made for one (HTTP) asks it first.
      const description = request.description ?? (await registry.describeAt(address));
      const workerId = registry.register({ ...request, description }, Date.now());
      return { workerId, heartbeatIntervalMs: heartbeatMs };
    }),
    heartbeat(
      call: ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>,
      done: sendUnaryData<HeartbeatResponse>,
    ) {
      const { workerId, poolId, telemetry } = call.request;
      done(null, { known: registry.heartbeat(workerId, poolId, telemetry, Date.now()) });
    },
  };
}
