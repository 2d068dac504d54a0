// The gRPC services the control plane serves, each wired to the parts it needs.
import type { Config } from "../common/config.js";
import type { Logger } from "../common/logger.js";
import { version } from "../common/version.js";
import { ArtifactsService } from "../gen/llama_orch/v1/artifacts.js";
import { CatalogService } from "../gen/llama_orch/v1/catalog.js";
import { OrchestratorService } from "../gen/llama_orch/v1/orchestrator.js";
import { PoolsService } from "../gen/llama_orch/v1/pool.js";
import { StatusService } from "../gen/llama_orch/v1/status.js";
import { WorkerRegistryService } from "../gen/llama_orch/v1/worker.js";
import type { ArtifactStore } from "../store/artifact-store.js";
import type { TaskStore } from "../store/task-store.js";
import { artifactService } from "./artifact-service.js";
import { catalogService } from "./catalog-service.js";
import type { ServiceBinding } from "./grpc-server.js";
import type { ModelCatalog } from "./model-catalog.js";
import type { ModelGc } from "./model-gc.js";
import type { ModelImports } from "./model-imports.js";
import type { ModelPulls } from "./model-pulls.js";
import type { Orchestrator } from "./orchestrator.js";
import { orchestratorService } from "./orchestrator-service.js";
import type { PoolModels } from "./pool-model-files.js";
import type { PoolRegistry } from "./pool-registry.js";
import { poolService } from "./pool-service.js";
import { registryService } from "./registry-service.js";
import type { SessionService } from "./session-service.js";
import type { ShutdownGate } from "./shutdown.js";
import { statusService } from "./status-service.js";
import type { Supervisor } from "./supervisor.js";
import type { TaskHub } from "./task-hub.js";

export interface ServiceDeps {
  gate: ShutdownGate;
  config: Config;
  orchestrator: Orchestrator;
  hub: TaskHub;
  sessions: SessionService;
  tasks: TaskStore;
  registry: PoolRegistry;
  supervisor: Supervisor;
  artifacts: ArtifactStore;
  catalog: ModelCatalog;
  pulls: ModelPulls;
  imports: ModelImports;
  poolModels: PoolModels;
  gc: ModelGc;
  log: Logger;
}

export function grpcServices(deps: ServiceDeps): ServiceBinding[] {
  const { config, orchestrator, hub, sessions, tasks, registry, supervisor, log } = deps;
  return [
    {
      name: "llama_orch.v1.Orchestrator",
      definition: OrchestratorService,
      implementation: orchestratorService({
        orchestrator,
        hub,
        sessions,
        tasks,
        registry,
        maxTokensLimit: config.admission.maxTokensLimit,
        catalogEntries: () => deps.catalog.list(),
        strictTrust: config.catalog.trust === "strict",
        gate: deps.gate,
      }),
    },
    {
      name: "llama_orch.v1.Pools",
      definition: PoolsService,
      implementation: poolService({
        registry,
        orchestrator,
        sessions,
        restarts: (id) => supervisor.restarts(id),
        restartWorker: (id, between) => supervisor.restart(id, between),
        rearmWorker: (id) => supervisor.rearm(id),
        resolveModel: deps.poolModels.resolve,
        modelLoaded: (id, model) => deps.poolModels.loaded(id, model),
        log,
      }),
    },
    {
      name: "llama_orch.v1.WorkerRegistry",
      definition: WorkerRegistryService,
      implementation: registryService(registry, {
        heartbeatMs: config.workers.heartbeatMs,
        allowInsecureRemote: config.workers.allowInsecureRemote,
      }),
    },
    {
      name: "llama_orch.v1.Catalog",
      definition: CatalogService,
      implementation: catalogService(deps.catalog, deps.pulls, deps.imports, deps.gc),
    },
    {
      name: "llama_orch.v1.Artifacts",
      definition: ArtifactsService,
      implementation: artifactService(deps.artifacts),
    },
    {
      name: "llama_orch.v1.Status",
      definition: StatusService,
      implementation: statusService({
        pools: () => registry.all(),
        snapshots: () => orchestrator.snapshots(),
        work: (poolId) => orchestrator.work(poolId),
        entries: () => hub.entries(),
        sessions: (nowMs, limit) => sessions.recent(nowMs, limit),
        version,
      }),
    },
  ];
}
