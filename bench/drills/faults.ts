// Fault drills: SIGKILL the worker under load, SIGTERM serve under load, SIGKILL serve and
// restart it on the same data dir; counts hung clients, stale records and exit times.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { type ServeProcess, startServe, workerPid } from "../../test/support/serve-process.js";
import { admit, send, terminalOf } from "./http.js";

export type StateOf = (serve: ServeProcess, taskId: string) => Promise<TaskState>;

/** Starts `n` streams; each resolves with its terminal event, or "hung" after `limitMs`. */
function streams(serve: ServeProcess, ids: string[], limitMs: number): Promise<string[]> {
  return Promise.all(
    ids.map(async (id) => {
      const reply = send(serve.http, "GET", `/v1/tasks/${id}/stream`);
      const timeout = sleep(limitMs).then(() => undefined);
      const done = await Promise.race([reply, timeout]);
      return done ? terminalOf(done.text) : "hung";
    }),
  );
}

async function load(serve: ServeProcess, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let k = 0; k < n; k++) {
    ids.push(await admit(serve.http, { prompt: `load ${k}`, max_tokens: 600, ignore_eos: true }));
  }
  return ids;
}

function count(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export async function killWorkerDrill(serve: ServeProcess, n: number) {
  const ids = await load(serve, n);
  const ends = streams(serve, ids, 60_000);
  await sleep(500);
  process.kill(workerPid(serve, "cpu-0"), "SIGKILL");
  return { streams: n, outcomes: count(await ends) };
}

export async function sigtermDrill(serve: ServeProcess, n: number, drainMs: number) {
  const ids = await load(serve, n);
  const ends = streams(serve, ids, 60_000);
  await sleep(500);
  const t0 = performance.now();
  const exited = new Promise((resolve) => serve.child.once("exit", resolve));
  serve.child.kill("SIGTERM");
  const code = await exited;
  const exitMs = Math.round(performance.now() - t0);
  return { streams: n, drainMs, exitMs, exitCode: code, outcomes: count(await ends) };
}

export async function killServeDrill(
  serve: ServeProcess,
  config: string,
  n: number,
  stateOf: StateOf,
) {
  const ids = await load(serve, n);
  const ends = streams(serve, ids, 60_000);
  await sleep(500);
  const exited = new Promise((resolve) => serve.child.once("exit", resolve));
  serve.child.kill("SIGKILL");
  await exited;
  const outcomes = count(await ends);
  const again = await startServe({ config, dataDir: serve.dataDir });
  let stale = 0;
  for (const id of ids)
    if ((await stateOf(again, id)) < TaskState.TASK_STATE_FINISHED_STOP) stale++;
  const replayed = count(await streams(again, ids, 10_000));
  return {
    again,
    figures: { streams: n, outcomes, staleRecords: stale, streamsAfterRestart: replayed },
  };
}
