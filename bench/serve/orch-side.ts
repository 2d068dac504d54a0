// llama-orch: `llama-orch serve` as a child process with one CPU pool on the bench model.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { startServe } from "../../test/support/serve-process.js";
import { profilingEnv } from "../control/orchestrated-side.js";
import { processTree } from "../process-tree.js";
import { benchPoolServeConfig } from "../serve-config.js";
import type { RunningServer, ServeSettings } from "./types.js";

/** What serve's pool names; the worker resolves it to ensureModel("bench", "q8_0"). */
export const BENCH_MODEL_REF = "builtin:bench";

/**
 * One pool (CPU, or cuda with --gpu-layers) with llama-server's settings; logging at its default, sessions at their defaults
 * (8 turns, enough for the multi-turn scenario), admission's queue deep enough for 16 in flight.
 */
export function serveConfig(settings: ServeSettings): string {
  return benchPoolServeConfig({ ...settings, modelRef: BENCH_MODEL_REF });
}

/** serve stops its worker before it exits; wait out any straggler (the esbuild service). */
async function waitGone(pids: readonly number[]): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 10_000;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(", ")} outlived serve`);
    await sleep(50);
  }
}

/** Resolves once the pool's worker has loaded the model and registered as ready. */
export async function startOrch(
  settings: ServeSettings,
): Promise<RunningServer & { config: string }> {
  const config = serveConfig(settings);
  const t0 = performance.now();
  const serve = await startServe({ config, env: profilingEnv(settings.cpuProfileDir) });
  const startupMs = performance.now() - t0;
  const rootPid = serve.child.pid;
  if (rootPid === undefined) throw new Error("serve has no pid");
  const stop = async () => {
    const tree = processTree(rootPid);
    await serve.stop();
    await waitGone(tree);
  };
  return { name: "llama-orch", origin: serve.http, rootPid, startupMs, config, stop };
}
