// Serve's orderly stop (config `shutdown.drain_ms`): refuse new tasks, end queued ones with a
// retriable error, let running ones finish until the drain deadline, then end what is left.
import { setTimeout as sleep } from "node:timers/promises";
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import type { Orchestrator } from "./orchestrator.js";
import type { PoolRegistry } from "./pool-registry.js";

function shuttingDown(what: string): OrchError {
  return new OrchError(
    "POOL_UNAVAILABLE",
    `llama-orch is shutting down; ${what}: submit again once it is back or to another instance`,
    { retryAfterMs: 1000 },
  );
}

/** Closed once shutdown begins: admissions are refused from then on. */
export class ShutdownGate {
  #closed = false;

  close(): void {
    this.#closed = true;
  }

  /** Throws the retriable refusal once closed. */
  check(): void {
    if (this.#closed) throw shuttingDown("no new task is admitted");
  }
}

export interface DrainDeps {
  gate: ShutdownGate;
  orchestrator: Orchestrator;
  registry: PoolRegistry;
  log: Logger;
}

function running(registry: PoolRegistry): number {
  return registry.all().reduce((sum, pool) => sum + pool.activeLeases, 0);
}

/** Resolves once no task is queued or running; at most `drainMs` after the call plus a poll. */
export async function drainForShutdown(deps: DrainDeps, drainMs: number): Promise<void> {
  const { gate, orchestrator, registry, log } = deps;
  gate.close();
  const pools = registry.all();
  for (const pool of pools) registry.setDraining(pool.poolId, true);
  const queued = shuttingDown("this queued task was not started");
  for (const pool of pools) await orchestrator.replaceQueued(pool.poolId, { orFail: queued });
  const until = Date.now() + drainMs;
  log.info({ running: running(registry), drain_ms: drainMs }, "draining for shutdown");
  while (running(registry) > 0 && Date.now() < until) await sleep(25);
  const left = running(registry);
  if (left === 0) return;
  log.warn({ running: left, drain_ms: drainMs }, "drain deadline passed; ending running tasks");
  const cut = shuttingDown(`this task was still running after the ${drainMs} ms drain deadline`);
  for (const pool of pools) orchestrator.failRunning(pool.poolId, cut);
}
