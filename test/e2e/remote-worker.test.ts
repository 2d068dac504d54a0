// A remote-style worker end to end: started by hand (not by the supervisor), it registers with a
// running control plane, serves the tasks pinned to its pool, and its pool goes unready when it dies.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, errorOf, startedOf, startTask, submit } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForPool } from "../support/serve-process.js";
import { startWorker, type WorkerProcess } from "../support/worker-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 200, stale_after_ms: 1000 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

const pinRemote = PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: "remote-1" });

describe("remote worker", () => {
  let serve: ServeProcess;
  const workers: WorkerProcess[] = [];

  function startRemote(): Promise<WorkerProcess> {
    const args = ["--control", serve.address, "--pool", "remote-1", "--model", "builtin:tiny"];
    args.push("--backend", "cpu", "--slots", "2", "--threads", "1");
    return startWorker(args).then((worker) => {
      workers.push(worker);
      return worker;
    });
  }

  before(async () => {
    serve = await startServe({ config });
  });
  after(async () => {
    for (const worker of workers) worker.kill();
    await serve?.stop();
  });

  it("registers with the control plane and serves tasks pinned to its pool", async () => {
    const worker = await startRemote();
    const health = await waitForPool(serve.pools, "remote-1", (h) => h.ready);
    assert.equal(health.live, true);
    assert.equal(health.backend, "cpu");
    assert.equal(health.slotsTotal, 2);
    assert.equal(health.modelRef, "builtin:tiny");
    assert.equal(health.restarts, 0, "no supervisor restarts a remote worker");

    const out = await submit(serve.orchestrator, {
      prompt: "far away",
      maxTokens: 5,
      ignoreEos: true,
      placement: pinRemote,
    });
    assert.equal(out.error, undefined, out.error?.message);
    assert.equal(startedOf(out)?.poolId, "remote-1");
    assert.equal(endOf(out)?.tokensOut, 5);
    const admitted = out.events[0]?.event;
    assert.ok(admitted?.$case === "admitted");
    const served = await worker.waitForLog(
      (entry) => entry.msg === "generate ended" && entry.task_id === admitted.value.taskId,
    );
    assert.equal(served.tokens_out, 5, "the remote worker generated the task");

    const local = await submit(serve.orchestrator, {
      prompt: "near",
      maxTokens: 2,
      placement: PlacementOverrides.fromPartial({ avoidPools: ["remote-1"] }),
    });
    assert.equal(startedOf(local)?.poolId, "cpu-0");
  });

  it("a killed remote worker: its stream ends WORKER_RESET and its pool goes unready at once", async () => {
    const worker = workers[0] as WorkerProcess;
    const running = await startTask(
      serve.orchestrator,
      { prompt: "cut", maxTokens: 3000, ignoreEos: true, placement: pinRemote },
      3,
    );
    assert.equal(running.started?.poolId, "remote-1");
    worker.kill();
    const out = await running.done;
    assert.equal(errorOf(out)?.code, "WORKER_RESET", JSON.stringify(out.events.at(-1)));
    // The lost stream is enough to stop placing on the pool; the stale limit then marks it down.
    const refused = await submit(serve.orchestrator, {
      prompt: "x",
      maxTokens: 2,
      placement: pinRemote,
    });
    assert.equal(refused.error?.code, "POOL_UNREADY", refused.error?.message);
    const down = await waitForPool(serve.pools, "remote-1", (h) => !h.live);
    assert.equal(down.ready, false);
    assert.match(down.lastError, /no heartbeat/);
  });

  it("an idle remote worker that dies goes unready after workers.stale_after_ms", async () => {
    const worker = await startRemote();
    await waitForPool(serve.pools, "remote-1", (h) => h.ready);
    worker.kill();
    const down = await waitForPool(serve.pools, "remote-1", (h) => !h.ready);
    assert.match(down.lastError, /no heartbeat/);
    const refused = await submit(serve.orchestrator, {
      prompt: "x",
      maxTokens: 2,
      placement: pinRemote,
    });
    assert.equal(refused.error?.code, "POOL_UNREADY", refused.error?.message);
    const unpinned = await submit(serve.orchestrator, { prompt: "anywhere", maxTokens: 2 });
    assert.equal(startedOf(unpinned)?.poolId, "cpu-0", "other pools keep serving");
  });
});
