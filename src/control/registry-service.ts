// WorkerRegistry gRPC handlers: workers register on start and heartbeat their telemetry.
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { toStatus } from "../common/grpc-errors.js";
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
  WorkerRegistryServer,
} from "../gen/llama_orch/v1/worker.js";
import type { PoolRegistry } from "./pool-registry.js";

export function registryService(registry: PoolRegistry, heartbeatMs: number): WorkerRegistryServer {
  return {
    register(
      call: ServerUnaryCall<RegisterRequest, RegisterResponse>,
      done: sendUnaryData<RegisterResponse>,
    ) {
      const { poolId, address } = call.request;
      if (!/^[a-z0-9-]+$/.test(poolId) || address.length === 0) {
        done(
          toStatus(
            new OrchError(
              "INVALID_PARAMS",
              "register needs a pool_id ([a-z0-9-]+) and the worker's address",
            ),
          ),
        );
        return;
      }
      const workerId = registry.register(call.request, Date.now());
      done(null, { workerId, heartbeatIntervalMs: heartbeatMs });
    },
    heartbeat(
      call: ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>,
      done: sendUnaryData<HeartbeatResponse>,
    ) {
      const { workerId, poolId, telemetry } = call.request;
      done(null, { known: registry.heartbeat(workerId, poolId, telemetry, Date.now()) });
    },
  };
}
