// WorkerRegistry gRPC handlers: workers register on start and heartbeat their telemetry.
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { isLoopbackHost } from "../common/grpc-auth.js";
import { unary } from "../common/grpc-unary.js";
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
  WorkerRegistryServer,
} from "../gen/llama_orch/v1/worker.js";
import type { PoolRegistry } from "./pool-registry.js";

export interface RegistryServiceOptions {
  heartbeatMs: number;
  /** Config `workers.allow_insecure_remote`: plaintext registrations from other hosts accepted. */
  allowInsecureRemote: boolean;
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":"));
}

/**
 * A worker on another host (it calls from, or is dialled at, a non-loopback address) must come over
 * mutual TLS: else the token, prompts and tokens cross the network in clear text.
 */
function checkTransport(
  call: ServerUnaryCall<RegisterRequest, RegisterResponse>,
  allowInsecureRemote: boolean,
): void {
  const { transportSecurityType, sslPeerCertificate } = call.getAuthContext();
  if (transportSecurityType === "ssl" && sslPeerCertificate) return;
  const peer = hostOf(call.getPeer());
  const remote = !isLoopbackHost(peer) || !isLoopbackHost(hostOf(call.request.address));
  if (!remote || allowInsecureRemote) return;
  throw new OrchError(
    "INSECURE_TRANSPORT",
    `refusing the plaintext registration of pool ${call.request.poolId} at ${call.request.address} ` +
      `(from ${peer}): configure tls.cert_file, tls.key_file and tls.ca_file on the control plane ` +
      "and --tls-cert/--tls-key/--tls-ca on the worker, or set workers.allow_insecure_remote: true " +
      "on a network you trust",
  );
}

export function registryService(
  registry: PoolRegistry,
  options: RegistryServiceOptions,
): WorkerRegistryServer {
  return {
    register: unary<RegisterRequest, RegisterResponse>(async (request, call) => {
      const { poolId, address } = request;
      if (!/^[a-z0-9-]+$/.test(poolId) || address.length === 0) {
        throw new OrchError(
          "INVALID_PARAMS",
          "register needs a pool_id ([a-z0-9-]+) and the worker's address",
        );
      }
      checkTransport(call, options.allowInsecureRemote);
      // Our workers describe themselves; a registration made for one (HTTP) asks it first.
      const description = request.description ?? (await registry.describeAt(address));
      const workerId = registry.register({ ...request, description }, Date.now());
      return { workerId, heartbeatIntervalMs: options.heartbeatMs };
    }),
    heartbeat(
      call: ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>,
      done: sendUnaryData<HeartbeatResponse>,
    ) {
      done(null, { known: registry.heartbeat(call.request, Date.now()) });
    },
  };
}
