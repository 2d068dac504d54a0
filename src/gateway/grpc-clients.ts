// The gateway's gRPC clients to the control plane, each sending the Bearer token when one is set.
import type { Interceptor } from "@grpc/grpc-js";
import { sendBearer } from "../common/grpc-auth.js";
import { grpcClientCredentials, type TlsMaterial } from "../common/tls.js";
import { ArtifactsClient } from "../gen/llama_orch/v1/artifacts.js";
import { CatalogClient } from "../gen/llama_orch/v1/catalog.js";
import { OrchestratorClient } from "../gen/llama_orch/v1/orchestrator.js";
import { PoolsClient } from "../gen/llama_orch/v1/pool.js";
import { StatusClient } from "../gen/llama_orch/v1/status.js";
import { WorkerRegistryClient } from "../gen/llama_orch/v1/worker.js";

export interface ControlClients {
  orchestrator: OrchestratorClient;
  pools: PoolsClient;
  catalog: CatalogClient;
  artifacts: ArtifactsClient;
  registry: WorkerRegistryClient;
  status: StatusClient;
  close(): void;
}

/** With `tls`, over mutual TLS (the control plane's gRPC edge then accepts nothing else). */
export function connectControl(
  grpcAddr: string,
  token: string | undefined,
  tls?: TlsMaterial,
): ControlClients {
  const options = { interceptors: sendBearer(token) as Interceptor[] };
  const channel = grpcClientCredentials(tls, grpcAddr);
  const orchestrator = new OrchestratorClient(grpcAddr, channel, options);
  const pools = new PoolsClient(grpcAddr, channel, options);
  const catalog = new CatalogClient(grpcAddr, channel, options);
  const artifacts = new ArtifactsClient(grpcAddr, channel, options);
  const registry = new WorkerRegistryClient(grpcAddr, channel, options);
  const status = new StatusClient(grpcAddr, channel, options);
  return {
    orchestrator,
    pools,
    catalog,
    artifacts,
    registry,
    status,
    close() {
      for (const client of [orchestrator, pools, catalog, artifacts, registry, status])
        client.close();
    },
  };
}
