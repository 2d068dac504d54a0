// Composes the control plane: store, registry, sessions, orchestrator, gRPC services, and the
// supervisor of one worker process per configured pool.
import { join } from "node:path";
import type { Registry } from "prom-client";
import type { Config } from "../common/config.js";
import { isLoopbackHost, requireBearer } from "../common/grpc-auth.js";
import type { Logger } from "../common/logger.js";
import { grpcServerCredentials, readTls, type TlsMaterial } from "../common/tls.js";
import { version } from "../common/version.js";
import { ArtifactsService } from "../gen/llama_orch/v1/artifacts.js";
import { CatalogService } from "../gen/llama_orch/v1/catalog.js";
import { OrchestratorService } from "../gen/llama_orch/v1/orchestrator.js";
import { PoolsService } from "../gen/llama_orch/v1/pool.js";
import { StatusService } from "../gen/llama_orch/v1/status.js";
import { WorkerRegistryService } from "../gen/llama_orch/v1/worker.js";
import { localStores } from "../models/local-stores/store-roots.js";
import { allowedModelDirs } from "../models/model-dirs.js";
import { hubFromEnv } from "../models/pull/hf-hub.js";
import { registryFromEnv } from "../models/pull/ollama-registry.js";
import { type RetentionLimits, sweepArtifacts } from "../store/artifact-retention.js";
import { ArtifactStore } from "../store/artifact-store.js";
import { CatalogStore } from "../store/catalog-store.js";
import { openStore, type Store } from "../store/db.js";
import { SessionStore } from "../store/session-store.js";
import { TaskStore } from "../store/task-store.js";
import { artifactService } from "./artifact-service.js";
import { catalogService } from "./catalog-service.js";
import { type RunningServer, type ServiceBinding, startGrpcServer } from "./grpc-server.js";
import { endLostTasks } from "./lost-tasks.js";
import { ControlMetrics } from "./metrics.js";
import { MeteredCatalog, MeteredOrchestrator, MeteredTaskHub } from "./metrics-hooks.js";
import type { ModelCatalog } from "./model-catalog.js";
import { ModelImports } from "./model-imports.js";
import { ModelPulls } from "./model-pulls.js";
import { modelResolver } from "./model-resolver.js";
import type { Orchestrator } from "./orchestrator.js";
import { orchestratorService } from "./orchestrator-service.js";
import { PoolModels } from "./pool-model-files.js";
import { checkPoolModels } from "./pool-models.js";
import { PoolRegistry } from "./pool-registry.js";
import { poolService } from "./pool-service.js";
import { registryService } from "./registry-service.js";
import { followReadiness } from "./serving-health.js";
import { SessionService } from "./session-service.js";
import type { SessionRecord } from "./sessions-policy.js";
import { drainForShutdown, ShutdownGate } from "./shutdown.js";
import { statusService } from "./status-service.js";
import { Supervisor } from "./supervisor.js";
import type { TaskHub } from "./task-hub.js";
import { transcriptRecorder } from "./transcripts.js";
import { relayWorkerLine } from "./worker-log.js";

/** Least interval between two `downloading` events of a pull: a progress bar's refresh. */
const PULL_PROGRESS_MS = 250;

export interface ControlPlane {
  grpcAddr: string;
  registry: PoolRegistry;
  supervisor: Supervisor;
  /** The Prometheus series of this control plane (SPEC 10); the in-process gateway serves them. */
  metrics: Registry;
  /** Config `tls`, read: the in-process gateway serves HTTPS and dials gRPC with it. */
  tls: TlsMaterial | undefined;
  /** Shutdown's first step: no new task, queued ones end, running ones get `shutdown.drain_ms`. */
  drain(): Promise<void>;
  /** Stops workers and the gRPC server; with `deadlineAt` (epoch ms), by then, killing laggards. */
  stop(deadlineAt?: number): Promise<void>;
}

/** Of the time left at stop, the share kept for the gRPC server once the workers are gone. */
const GRPC_STOP_RESERVE_MS = 500;

export async function startControlPlane(config: Config, log: Logger): Promise<ControlPlane> {
  await checkPoolModels(config.pools);
  const store: Store = await openStore(config.dataDir);
  const sessions = new SessionService(
    new SessionStore<SessionRecord>(store),
    config.sessions,
    config.sessions.defaultBudgets,
  );
  await sessions.load(Date.now());
  const tasks = new TaskStore(store, { retain: config.store.taskRetention });
  const lost = await endLostTasks(tasks, Date.now());
  if (lost > 0) log.warn({ tasks: lost }, "tasks the last run left unfinished ended: WORKER_RESET");
  const token = config.auth.token?.reveal();
  const tls = configuredTls(config);
  const registry = new PoolRegistry(token, tls);
  const artifacts = new ArtifactStore(store, join(config.dataDir, "artifacts"));
  const catalog = new MeteredCatalog(new CatalogStore(store), allowedModelDirs(config), (r) =>
    metrics.verified(r),
  );
  const metrics = new ControlMetrics(registry, catalog);
  const hub = new MeteredTaskHub(metrics, undefined, transcriptRecorder(artifacts, registry, log));
  const deps = { config, registry, hub, sessions, tasks, log, catalog };
  const orchestrator = new MeteredOrchestrator(deps, metrics);
  const supervisor = new Supervisor({ ...config.supervisor });
  const pulls = modelPulls(config, catalog, log);
  const imports = modelImports(config, catalog, log);
  const poolModels = new PoolModels(modelResolver(catalog, pulls, allowedModelDirs(config)));
  const gate = new ShutdownGate();
  const services = grpcServices({
    gate,
    config,
    orchestrator,
    hub,
    sessions,
    tasks,
    registry,
    supervisor,
    artifacts,
    catalog,
    pulls,
    imports,
    poolModels,
    log,
  });
  // Loopback with AUTH_OPTIONAL lets local clients omit the token (DESIGN decision 1).
  const relaxed = config.auth.optional && isLoopbackHost(hostOf(config.server.grpcAddr));
  const interceptors = token && !relaxed ? [requireBearer(token)] : [];
  // A refused bind (busy port) must not leave the database open: the process could not exit.
  const server: RunningServer = await startGrpcServer(
    config.server.grpcAddr,
    services,
    interceptors,
    grpcServerCredentials(tls),
  ).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const grpcAddr = `${hostOf(config.server.grpcAddr)}:${server.port}`;
  const stopHealth = followReadiness(server.health, registry);

  const lifecycle = { stopping: false };
  superviseLocalPools(config, grpcAddr, { registry, supervisor, poolModels, lifecycle }, log);
  const stale = setInterval(
    () => registry.expireStale(Date.now(), config.workers.staleAfterMs),
    config.workers.heartbeatMs,
  );
  const sweep = setInterval(
    () => void retain(artifacts, config.artifacts, log),
    config.artifacts.sweepMs,
  );
  log.info({ grpc_addr: grpcAddr, pools: config.pools.map((p) => p.id) }, "control plane serving");

  const drain = () =>
    drainForShutdown({ gate, orchestrator, registry, log }, config.shutdown.drainMs);
  const stop = async (deadlineAt?: number) => {
    lifecycle.stopping = true;
    clearInterval(stale);
    stopHealth();
    clearInterval(sweep);
    const left = () =>
      deadlineAt === undefined ? undefined : Math.max(0, deadlineAt - Date.now());
    const workerGrace = left();
    await supervisor.stop(
      workerGrace === undefined ? undefined : Math.max(0, workerGrace - GRPC_STOP_RESERVE_MS),
    );
    await server.stop(left());
    await artifacts.idle();
    await store.close();
  };
  return { grpcAddr, registry, supervisor, metrics: metrics.registry, tls, drain, stop };
}

/** One retention pass of config `artifacts.*`; a failure is logged and the next pass retries. */
async function retain(artifacts: ArtifactStore, limits: RetentionLimits, log: Logger) {
  try {
    const result = await sweepArtifacts(artifacts, limits, Date.now());
    if (result.removed + result.orphanBlobs > 0) log.info(result, "artifact retention pass");
  } catch (error) {
    log.error({ error: String(error) }, "artifact retention pass failed");
  }
}

function configuredTls(config: Config): TlsMaterial | undefined {
  const { certFile, keyFile, caFile } = config.tls;
  if (!certFile || !keyFile || !caFile) return undefined;
  return readTls({ certFile, keyFile, caFile });
}

interface ServiceDeps {
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
  log: Logger;
}

function grpcServices(deps: ServiceDeps): ServiceBinding[] {
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
        retiredRefs: () => deps.catalog.retiredRefs(),
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
      implementation: catalogService(deps.catalog, deps.pulls, deps.imports),
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

function modelPulls(config: Config, catalog: ModelCatalog, log: Logger): ModelPulls {
  const fetch = {
    hub: hubFromEnv(),
    cacheDir: config.models.cacheDir,
    modelDirs: allowedModelDirs(config),
    progressMs: PULL_PROGRESS_MS,
    registry: registryFromEnv(),
    stores: localStores(),
  };
  return new ModelPulls({ catalog, fetch, provenancePath: provenancePath(config), log });
}

function modelImports(config: Config, catalog: ModelCatalog, log: Logger): ModelImports {
  return new ModelImports({
    catalog,
    provenancePath: provenancePath(config),
    stores: localStores(),
    registry: registryFromEnv(),
    modelDirs: allowedModelDirs(config),
    log,
  });
}

function provenancePath(config: Config): string {
  return join(config.dataDir, "provenance.jsonl");
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":"));
}

interface LocalPools {
  registry: PoolRegistry;
  supervisor: Supervisor;
  poolModels: PoolModels;
  /** Set once the control plane stops: exits are no failures, and no pool starts any more. */
  lifecycle: { stopping: boolean };
}

function superviseLocalPools(config: Config, grpcAddr: string, local: LocalPools, log: Logger) {
  const { registry, supervisor, poolModels, lifecycle } = local;
  const control = grpcAddr.replace(/^0\.0\.0\.0:/, "127.0.0.1:");
  logPoolReady(registry, supervisor, log);
  for (const pool of config.pools) {
    registry.declare(pool.id, pool.backend, pool.model);
    const start = () => {
      if (lifecycle.stopping) return;
      supervisor.start({ poolId: pool.id, args: () => poolModels.args(pool, control, config.tls) });
    };
    if (!PoolModels.needsResolving(pool.model)) {
      start();
      continue;
    }
    // A model still being pulled keeps the pool unready (not down) until its file is here.
    log.info({ pool_id: pool.id, model_ref: pool.model }, "resolving the pool's model");
    poolModels.prepare(pool).then(start, (error: unknown) => {
      const reason = `model ${pool.model} cannot be served: ${error instanceof Error ? error.message : String(error)}`;
      log.error({ pool_id: pool.id }, reason);
      registry.markDown(pool.id, reason);
    });
  }
  registry.on("ready", (poolId) => supervisor.markHealthy(poolId));
  supervisor.on("output", (poolId, line) => relayWorkerLine(log, poolId, line));
  supervisor.on("exit", (exit) => {
    if (lifecycle.stopping) {
      // A stop, not a failure: no warning, no worker output, no pool-down handling.
      log.info({ pool_id: exit.poolId, code: exit.code, signal: exit.signal }, "worker stopped");
      return;
    }
    const reason = `worker exited (${exit.signal ?? `code ${exit.code}`})${exit.lastOutput ? `: ${exit.lastOutput}` : ""}`;
    log.warn(
      { pool_id: exit.poolId, restart_in_ms: exit.restartInMs, breaker_open: exit.breakerOpen },
      reason,
    );
    const state = registry.get(exit.poolId);
    if (state) {
      state.restarts = supervisor.restarts(exit.poolId);
      state.failed = exit.breakerOpen;
    }
    registry.markDown(
      exit.poolId,
      exit.breakerOpen
        ? `${reason}; crashing repeatedly, not restarted (circuit breaker open)`
        : reason,
    );
  });
}

/** One `pool ready` line each time a pool becomes ready; load_ms counts from its worker's spawn. */
function logPoolReady(registry: PoolRegistry, supervisor: Supervisor, log: Logger): void {
  const spawnedAt = new Map<string, number>();
  supervisor.on("spawn", (poolId) => spawnedAt.set(poolId, Date.now()));
  registry.on("ready", (poolId) => {
    const started = spawnedAt.get(poolId);
    spawnedAt.delete(poolId);
    const loadMs = started === undefined ? undefined : Date.now() - started;
    log.info(
      { pool_id: poolId, model_ref: registry.get(poolId)?.modelRef, load_ms: loadMs },
      "pool ready",
    );
  });
}
