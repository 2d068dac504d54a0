// The gateway's gRPC clients to the control plane, each sending the Bearer token when one is set.
import { credentials, type Interceptor } from "@grpc/grpc-js";
import { sendBearer } from "../common/grpc-auth.js";
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

export function connectControl(grpcAddr: string, token: string | undefined): ControlClients {
  const options = { interceptors: sendBearer(token) as Interceptor[] };
  const insecure = credentials.createInsecure();
  const orchestrator = new OrchestratorClient(grpcAddr, insecure, options);
  const pools = new PoolsClient(grpcAddr, insecure, options);
  const catalog = new CatalogClient(grpcAddr, insecure, options);
  const artifacts = new ArtifactsClient(grpcAddr, insecure, options);
  const registry = new WorkerRegistryClient(grpcAddr, insecure, options);
  const status = new StatusClient(grpcAddr, insecure, options);
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
