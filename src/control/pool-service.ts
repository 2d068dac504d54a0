// Pools gRPC handlers: list and health from the registry, drain with a deadline, atomic reload,
// and purge (a fresh worker after dropping generated model files).
import { rm } from "node:fs/promises";
import type { Metadata } from "@grpc/grpc-js";
import { correlationOf } from "../common/correlation.js";
import { OrchError } from "../common/errors.js";
import { unary } from "../common/grpc-unary.js";
import type { Logger } from "../common/logger.js";
import type {
  DrainRequest,
  DrainResponse,
  ListPoolsResponse,
  PoolHealth,
  PoolRef,
  PoolsServer,
  PurgeRequest,
  PurgeResponse,
  ReloadRequest,
  ReloadResponse,
  RestartResponse,
} from "../gen/llama_orch/v1/pool.js";
import type { WorkerDescription } from "../gen/llama_orch/v1/worker.js";
import { BUILTIN_PREFIX, builtinModelPath, parseBuiltinRef } from "../models/builtin-ref.js";
import { digestCachePath } from "../models/model-digest.js";
import type { ResolveModel, ServableModel } from "./model-resolver.js";
import type { Orchestrator } from "./orchestrator.js";
import type { PoolRegistry, PoolState } from "./pool-registry.js";
import type { SessionService } from "./session-service.js";

export interface PoolServiceDeps {
  registry: PoolRegistry;
  orchestrator: Orchestrator;
  sessions: SessionService;
  restarts(poolId: string): number;
  /** Stops a local pool's worker, runs `between`, starts a fresh one (the supervisor's restart). */
  restartWorker(poolId: string, between: () => Promise<void>): Promise<void>;
  /** Starts a local pool's worker again after its crash breaker opened; false when none was open. */
  rearmWorker(poolId: string): boolean;
  /** The file a reload's model ref names (catalog names, pulls, confined paths). */
  resolveModel: ResolveModel;
  /** Told after a reload, so a restarted worker loads the same model. */
  modelLoaded(poolId: string, model: ServableModel): void;
  log: Logger;
}

const PURGE_DRAIN_MS = 30_000;
const IDLE_POLL_MS = 50;

function known(registry: PoolRegistry, poolId: string): PoolState {
  const pool = registry.get(poolId);
  if (!pool) throw new OrchError("POOL_NOT_FOUND", `no pool ${poolId}; List shows the pools`);
  return pool;
}

function poolStateOf(pool: PoolState): string {
  if (pool.failed) return "failed";
  if (pool.draining) return "draining";
  return pool.ready ? "ready" : "unready";
}

export function poolHealth(pool: PoolState, deps: PoolServiceDeps): PoolHealth {
  const t = pool.telemetry;
  return {
    poolId: pool.poolId,
    live: pool.client !== undefined,
    ready: pool.ready && !pool.draining,
    draining: pool.draining,
    lastError: pool.lastError,
    state: poolStateOf(pool),
    slotsTotal: pool.description?.slots ?? 0,
    slotsBusy: t?.slotsBusy ?? 0,
    activeLeases: pool.activeLeases,
    queueDepth: deps.orchestrator.queueDepth(pool.poolId),
    modelRef: pool.modelRef,
    modelDigest: pool.description?.model?.digest ?? "",
    engineVersion: pool.description?.engineVersion ?? "",
    backend: pool.backend,
    devices: t?.devices ?? [],
    decodeTokensPerSecond: t?.decodeTokensPerSecond ?? 0,
    restarts: deps.restarts(pool.poolId),
    kvCellsUsed: t?.kvCellsUsed ?? 0,
    kvCellsTotal: t?.kvCellsTotal ?? 0,
  };
}

function loadModel(
  pool: PoolState,
  model: ServableModel,
  correlationId: string | undefined,
): Promise<WorkerDescription> {
  const client = pool.client;
  if (!client)
    throw new OrchError(
      "POOL_UNREADY",
      `pool ${pool.poolId} has no live worker; retry when it is ready`,
    );
  return client.loadModel(model, correlationId);
}

/** Ends a pool's running work when its drain deadline passes; a reload or a new drain replaces it. */
type DrainDeadlines = Map<string, NodeJS.Timeout>;

function unavailable(poolId: string): OrchError {
  return new OrchError(
    "POOL_UNAVAILABLE",
    `pool ${poolId} is draining; submit again to be placed on another pool`,
    { retryAfterMs: 1000 },
  );
}

/** No new leases on the pool; its queued tasks are placed elsewhere or fail retriably. */
async function startDraining(deps: PoolServiceDeps, pool: PoolState, deadlines: DrainDeadlines) {
  deps.registry.setDraining(pool.poolId, true);
  clearTimeout(deadlines.get(pool.poolId));
  deadlines.delete(pool.poolId);
  await deps.orchestrator.replaceQueued(pool.poolId, { orFail: unavailable(pool.poolId) });
}

function drain(deps: PoolServiceDeps, deadlines: DrainDeadlines) {
  const { registry, orchestrator, log } = deps;
  return async ({ poolId, deadlineMs }: DrainRequest): Promise<DrainResponse> => {
    const pool = known(registry, poolId);
    if (!(deadlineMs > 0))
      throw new OrchError(
        "INVALID_PARAMS",
        "deadline_ms must be > 0: how long in-flight work may take to finish",
      );
    log.info({ pool_id: poolId, deadline_ms: deadlineMs }, "pool draining");
    await startDraining(deps, pool, deadlines);
    const timer = setTimeout(() => {
      deadlines.delete(poolId);
      if (pool.draining) orchestrator.failRunning(poolId, unavailable(poolId));
    }, deadlineMs);
    deadlines.set(poolId, timer.unref());
    return { accepted: true };
  };
}

function reload(deps: PoolServiceDeps, deadlines: DrainDeadlines) {
  const { registry, orchestrator, sessions, log } = deps;
  return async (
    { poolId, newModelRef }: ReloadRequest,
    call: { metadata: Metadata },
  ): Promise<ReloadResponse> => {
    const pool = known(registry, poolId);
    if (newModelRef.length === 0)
      throw new OrchError("INVALID_PARAMS", "new_model_ref is required");
    const started = Date.now();
    // The worker keeps serving the old model until the new one is loaded; a failure leaves it.
    const model = await deps.resolveModel(newModelRef);
    const description = await loadModel(pool, model, correlationOf(call.metadata));
    registry.describe(poolId, description);
    deps.modelLoaded(poolId, model);
    // A reload ends a drain: work placed from now on must not meet the old drain's deadline.
    registry.setDraining(poolId, false);
    clearTimeout(deadlines.get(poolId));
    deadlines.delete(poolId);
    sessions.coolPool(poolId);
    await orchestrator.replaceQueued(poolId, { includeSelf: true });
    const durationMs = Date.now() - started;
    log.info(
      {
        pool_id: poolId,
        model_ref: newModelRef,
        model_digest: description.model?.digest,
        duration_ms: durationMs,
      },
      "pool reloaded",
    );
    return { modelRef: newModelRef, modelDigest: description.model?.digest ?? "", durationMs };
  };
}

/** The generated files of the builtin refs named; anything else is refused before work starts. */
function purgedModelFiles(refs: readonly string[]): string[] {
  return refs.map((ref) => {
    if (!ref.trim().startsWith(BUILTIN_PREFIX))
      throw new OrchError(
        "INVALID_PARAMS",
        `purge_models: "${ref}" is not a built-in model; a purge removes only generated models ` +
          "(builtin:*) from the model cache, never files you registered",
      );
    return builtinModelPath(parseBuiltinRef(ref));
  });
}

async function idleOrDeadline(pool: PoolState, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (pool.activeLeases > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}

function purge(deps: PoolServiceDeps, deadlines: DrainDeadlines) {
  const { registry, orchestrator, sessions, log } = deps;
  return async (request: PurgeRequest): Promise<PurgeResponse> => {
    const { poolId, drainFirst = true } = request;
    const pool = known(registry, poolId);
    if (!pool.local)
      throw new OrchError(
        "INVALID_PARAMS",
        `pool ${poolId}'s worker is remote, not supervised here: restart it on its own host`,
      );
    if (request.deadlineMs < 0) throw new OrchError("INVALID_PARAMS", "deadline_ms must be >= 0");
    const modelFiles = purgedModelFiles(request.purgeModels);
    await startDraining(deps, pool, deadlines);
    log.info({ pool_id: poolId, drain_first: drainFirst, model_files: modelFiles }, "pool purging");
    const work = async () => {
      if (drainFirst) await idleOrDeadline(pool, request.deadlineMs || PURGE_DRAIN_MS);
      orchestrator.failRunning(poolId, unavailable(poolId));
      sessions.coolPool(poolId);
      await deps.restartWorker(poolId, async () => {
        const files = modelFiles.flatMap((file) => [file, digestCachePath(file)]);
        await Promise.all(files.map((file) => rm(file, { force: true })));
        registry.setDraining(poolId, false);
      });
      log.info({ pool_id: poolId }, "pool purged; a fresh worker is starting");
    };
    work().catch((error: unknown) => log.error({ err: error, pool_id: poolId }, "purge failed"));
    return { accepted: true, modelFiles };
  };
}

export function poolService(deps: PoolServiceDeps): PoolsServer {
  const { registry } = deps;
  const deadlines: DrainDeadlines = new Map();
  return {
    list: unary<object, ListPoolsResponse>(async () => ({
      pools: registry.all().map((pool) => poolHealth(pool, deps)),
    })),
    health: unary<PoolRef, PoolHealth>(async (request) =>
      poolHealth(known(registry, request.poolId), deps),
    ),
    drain: unary<DrainRequest, DrainResponse>(drain(deps, deadlines)),
    reload: unary<ReloadRequest, ReloadResponse>(reload(deps, deadlines)),
    purge: unary<PurgeRequest, PurgeResponse>(purge(deps, deadlines)),
    restart: unary<PoolRef, RestartResponse>(async (request) => {
      const pool = known(registry, request.poolId);
      const accepted = pool.failed && deps.rearmWorker(pool.poolId);
      if (accepted)
        deps.log.info({ pool_id: pool.poolId }, "crash breaker re-armed; worker starting");
      return { accepted };
    }),
  };
}
