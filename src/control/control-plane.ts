// Composes the control plane: store, registry, sessions, orchestrator, gRPC services, and the
// supervisor of one worker process per configured pool.
import { join } from "node:path";
import type { Registry } from "prom-client";
import type { Config } from "../common/config.js";
import { isLoopbackHost, requireBearer } from "../common/grpc-auth.js";
import type { Logger } from "../common/logger.js";
import { grpcServerCredentials, readTls, type TlsMaterial } from "../common/tls.js";
import { allowedModelDirs } from "../models/model-dirs.js";
import { type RetentionLimits, sweepArtifacts } from "../store/artifact-retention.js";
import { ArtifactStore } from "../store/artifact-store.js";
import { CatalogStore } from "../store/catalog-store.js";
import { openStore, type Store } from "../store/db.js";
import { SessionStore } from "../store/session-store.js";
import { TaskStore } from "../store/task-store.js";
import { grpcServices } from "./control-services.js";
import { type RunningServer, startGrpcServer } from "./grpc-server.js";
import { superviseLocalPools } from "./local-pools.js";
import { endLostTasks } from "./lost-tasks.js";
import { ControlMetrics } from "./metrics.js";
import { MeteredCatalog, MeteredOrchestrator, MeteredTaskHub } from "./metrics-hooks.js";
import { modelSupply } from "./model-supply.js";
import { checkPoolModels } from "./pool-models.js";
import { PoolRegistry } from "./pool-registry.js";
import { followReadiness } from "./serving-health.js";
import { SessionService } from "./session-service.js";
import type { SessionRecord } from "./sessions-policy.js";
import { drainForShutdown, ShutdownGate } from "./shutdown.js";
import { Supervisor } from "./supervisor.js";
import { transcriptRecorder } from "./transcripts.js";

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
  const { trust, pulls, imports, gc, poolModels } = modelSupply(config, catalog, registry, log);
  const deps = { config, registry, hub, sessions, tasks, log, catalog, trust };
  const orchestrator = new MeteredOrchestrator(deps, metrics);
  const supervisor = new Supervisor({ ...config.supervisor });
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
    gc,
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

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":"));
}
