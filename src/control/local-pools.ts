// Local pools: declared in the registry, their workers started under the supervisor (once their
// model file is here), and pool-down handling when a worker exits.
import type { Config } from "../common/config.js";
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { PoolModels } from "./pool-model-files.js";
import type { PoolRegistry } from "./pool-registry.js";
import type { Supervisor } from "./supervisor.js";
import { relayWorkerLine } from "./worker-log.js";

export interface LocalPools {
  registry: PoolRegistry;
  supervisor: Supervisor;
  poolModels: PoolModels;
  /** Set once the control plane stops: exits are no failures, and no pool starts any more. */
  lifecycle: { stopping: boolean };
}

export function superviseLocalPools(
  config: Config,
  grpcAddr: string,
  local: LocalPools,
  log: Logger,
) {
  const { registry, supervisor, poolModels, lifecycle } = local;
  const control = grpcAddr.replace(/^0\.0\.0\.0:/, "127.0.0.1:");
  logPoolReady(registry, supervisor, log);
  for (const pool of config.pools) {
    registry.declare(pool.id, pool.backend, pool.model);
    const start = () => {
      if (lifecycle.stopping) return;
      // A worker drops the lines serve's level would drop, rather than write them for serve to parse.
      const args = () => [
        ...poolModels.args(pool, control, config.tls),
        "--log-level",
        config.logging.level,
      ];
      supervisor.start({ poolId: pool.id, args });
    };
    if (!PoolModels.resolvesFirst(pool)) {
      start();
      continue;
    }
    // A model still being pulled keeps the pool unready (not down) until its file is here.
    if (PoolModels.needsResolving(pool.model))
      log.info({ pool_id: pool.id, model_ref: pool.model }, "resolving the pool's model");
    poolModels.prepare(pool).then(start, (error: unknown) => {
      const why = error instanceof OrchError ? `${error.code}: ${error.message}` : String(error);
      const reason = `model ${pool.model} cannot be served: ${why}`;
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
