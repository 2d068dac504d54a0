// The control plane's gRPC server: our services plus the standard health and reflection services,
// so stock gRPC tools (grpcurl, grpc_health_probe) work against it.
import { join } from "node:path";
import {
  Server,
  ServerCredentials,
  type ServerInterceptor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { repoRoot } from "../common/paths.js";
import { isAddressInUse, StartupError } from "../common/startup-error.js";
import { MAX_ARTIFACT_BYTES } from "../store/artifact-store.js";

export interface ServiceBinding {
  /** Fully qualified service name, for health status. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface RunningServer {
  server: Server;
  port: number;
  health: HealthImplementation;
  /** Graceful stop; open streams are cut after `forceAfterMs` (default 2 s). */
  stop(forceAfterMs?: number): Promise<void>;
}

const protoFiles = [
  "orchestrator.proto",
  "pool.proto",
  "worker.proto",
  "catalog.proto",
  "artifacts.proto",
  "status.proto",
].map((f) => join(repoRoot, "proto", "llama_orch", "v1", f));

export async function startGrpcServer(
  address: string,
  services: ServiceBinding[],
  interceptors: ServerInterceptor[] = [],
  serverCredentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<RunningServer> {
  // An artifact at the size limit must reach CreateArtifact, which answers ARTIFACT_TOO_LARGE
  // beyond it, rather than be cut off by grpc-js's 4 MiB default.
  const server = new Server({
    interceptors,
    "grpc.max_receive_message_length": MAX_ARTIFACT_BYTES + 1024 * 1024,
  });
  for (const service of services) server.addService(service.definition, service.implementation);
  const health = new HealthImplementation({ "": "SERVING" });
  for (const service of services) health.setStatus(service.name, "SERVING");
  health.addToServer(server);
  const definitions = loadSync(protoFiles, { includeDirs: [join(repoRoot, "proto")] });
  // Only what this server answers: worker.proto also declares the Worker service workers serve.
  const served = services.map((service) => service.name);
  new ReflectionService(definitions, { services: served }).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials, (error, bound) => {
      if (!error) resolve(bound);
      else if (!isAddressInUse(error)) reject(error);
      else {
        const why = `server.grpc_addr: ${address} is in use by another process; stop it or choose another port`;
        reject(new StartupError(why, { cause: error }));
      }
    });
  });
  const stop = (forceAfterMs = 2000) =>
    new Promise<void>((resolve) => {
      server.tryShutdown(() => resolve());
      // Streams that never end would hold tryShutdown forever.
      setTimeout(() => server.forceShutdown(), forceAfterMs).unref();
    });
  return { server, port, health, stop };
}
