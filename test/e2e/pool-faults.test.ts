// Pool faults and lifecycle end to end: a worker killed mid-stream, drain with a deadline, and an
// atomic reload (the old model serves until the new one is ready; a failed load changes nothing).
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { modelsDir } from "../../src/common/paths.js";
import { FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import type { PoolHealth, ReloadResponse } from "../../src/gen/llama_orch/v1/pool.js";
import {
  endOf,
  enqueue,
  errorOf,
  read,
  startedOf,
  startTask,
  submit,
  unary,
} from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForPool, workerPid } from "../support/serve-process.js";

function config(slots: number): string {
  return `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
supervisor: { backoff_initial_ms: 100 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: ${slots}, context_size: 4096, threads: 1 }
`;
}

function health(serve: ServeProcess): Promise<PoolHealth> {
  return unary<PoolHealth>((cb) => serve.pools.health({ poolId: "cpu-0" }, cb));
}

function reload(serve: ServeProcess, newModelRef: string): Promise<ReloadResponse> {
  return unary<ReloadResponse>((cb) => serve.pools.reload({ poolId: "cpu-0", newModelRef }, cb));
}

describe("pool faults: worker crash and reload", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config: config(1) });
  });
  after(() => serve?.stop());

  it("a worker SIGKILLed mid-stream: WORKER_RESET for its task, queued work runs on the restart", async () => {
    const running = await startTask(
      serve.orchestrator,
      { prompt: "doomed", maxTokens: 3000, ignoreEos: true },
      5,
    );
    const queued = await enqueue(serve.orchestrator, { prompt: "survivor", maxTokens: 6 });
    assert.equal(queued.queuePosition, 0);
    const survivor = read(serve.orchestrator.attach({ taskId: queued.taskId }));
    const pid = workerPid(serve, "cpu-0");
    process.kill(pid, "SIGKILL");

    const doomed = await running.done;
    const reset = errorOf(doomed);
    assert.equal(reset?.code, "WORKER_RESET", JSON.stringify(doomed.events.at(-1)));
    assert.equal(reset?.retriable, true);
    assert.equal(reset?.poolId, "cpu-0");

    const out = await survivor;
    assert.equal(out.kinds.at(-1), "end", JSON.stringify(out.events.at(-1)));
    assert.equal(out.kinds.filter((k) => k === "started").length, 1);
    assert.equal(endOf(out)?.tokensOut, 6);
    await waitForPool(serve.pools, "cpu-0", (h) => h.ready && h.restarts >= 1);
    assert.notEqual(workerPid(serve, "cpu-0"), pid);
  });

  it("reloads to another model atomically: the task running before it completes", async (t) => {
    const before = await health(serve);
    const inflight = await startTask(
      serve.orchestrator,
      { prompt: "spans the reload", maxTokens: 3000, ignoreEos: true },
      3,
    );
    let ended = false;
    void inflight.done.then(() => {
      ended = true;
    });
    const reply = await reload(serve, "builtin:tiny-q8_0");
    const reloadedWhileRunning = !ended;
    t.diagnostic(`reload to builtin:tiny-q8_0: duration_ms ${reply.durationMs}`);
    t.diagnostic(
      `the first task was still running when the reload answered: ${reloadedWhileRunning}`,
    );
    assert.equal(reply.modelRef, "builtin:tiny-q8_0");
    assert.match(reply.modelDigest, /^[0-9a-f]{64}$/);
    assert.notEqual(reply.modelDigest, before.modelDigest);

    const old = await inflight.done;
    assert.equal(old.error, undefined);
    assert.equal(startedOf(old)?.modelDigest, before.modelDigest);
    assert.equal(endOf(old)?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(endOf(old)?.tokensOut, 3000);

    const now = await health(serve);
    assert.equal(now.ready, true);
    assert.equal(now.modelRef, "builtin:tiny-q8_0");
    assert.equal(now.modelDigest, reply.modelDigest);
    // A client that names no model gets the one the pool serves now.
    const next = await submit(serve.orchestrator, { prompt: "after", maxTokens: 4 });
    assert.equal(next.error, undefined, next.error?.message);
    assert.equal(startedOf(next)?.modelDigest, reply.modelDigest);
    const named = await submit(serve.orchestrator, {
      prompt: "named",
      maxTokens: 4,
      modelRef: "builtin:tiny-q8_0",
    });
    assert.equal(named.kinds.at(-1), "end");
  });

  it("a reload to a missing file fails with MODEL_NOT_FOUND and leaves the pool serving", async () => {
    const before = await health(serve);
    // Inside the model directories (a path outside is refused before the worker sees it).
    const missing = join(modelsDir(), "missing.gguf");
    await assert.rejects(reload(serve, missing), { code: "MODEL_NOT_FOUND" });
    await assert.rejects(reload(serve, "/nonexistent/missing.gguf"), { code: "INVALID_PARAMS" });
    const now = await health(serve);
    assert.equal(now.ready, true);
    assert.equal(now.draining, false);
    assert.equal(now.modelRef, before.modelRef);
    assert.equal(now.modelDigest, before.modelDigest);
    const out = await submit(serve.orchestrator, { prompt: "still here", maxTokens: 4 });
    assert.equal(out.kinds.at(-1), "end");
    assert.equal(startedOf(out)?.modelDigest, before.modelDigest);
  });

  it("a restarted worker keeps the reloaded model; reloading back restores the first", async (t) => {
    const reloaded = await health(serve);
    assert.equal(reloaded.modelRef, "builtin:tiny-q8_0");
    process.kill(workerPid(serve, "cpu-0"), "SIGKILL");
    const back = await waitForPool(
      serve.pools,
      "cpu-0",
      (h) => h.ready && h.restarts > reloaded.restarts,
    );
    assert.equal(back.modelRef, "builtin:tiny-q8_0");
    assert.equal(back.modelDigest, reloaded.modelDigest);

    const reply = await reload(serve, "builtin:tiny");
    t.diagnostic(`reload to builtin:tiny: duration_ms ${reply.durationMs}`);
    assert.notEqual(reply.modelDigest, reloaded.modelDigest);
    const out = await submit(serve.orchestrator, { prompt: "first again", maxTokens: 4 });
    assert.equal(startedOf(out)?.modelDigest, reply.modelDigest);
  });
});

describe("pool faults: drain", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config: config(2) });
  });
  after(() => serve?.stop());

  it("drain: running work finishes until the deadline, then POOL_UNAVAILABLE; new work POOL_UNREADY", async () => {
    const short = await startTask(serve.orchestrator, {
      prompt: "short",
      maxTokens: 400,
      ignoreEos: true,
    });
    const long = await startTask(
      serve.orchestrator,
      { prompt: "long", maxTokens: 4000, ignoreEos: true },
      3,
    );
    const queued = await enqueue(serve.orchestrator, { prompt: "queued", maxTokens: 4 });
    const queuedRead = read(serve.orchestrator.attach({ taskId: queued.taskId }));
    assert.equal((await health(serve)).queueDepth, 1, "both slots are busy");
    await unary((cb) => serve.pools.drain({ poolId: "cpu-0", deadlineMs: 1500 }, cb));

    const draining = await health(serve);
    assert.equal(draining.draining, true);
    assert.equal(draining.ready, false);
    const refused = await submit(serve.orchestrator, { prompt: "late", maxTokens: 4 });
    assert.equal(refused.error?.code, "POOL_UNREADY", refused.error?.message);
    assert.match(refused.error?.message ?? "", /draining/);

    assert.equal(errorOf(await queuedRead)?.code, "POOL_UNAVAILABLE", "queued work is not kept");
    const shortOut = await short.done;
    assert.equal(shortOut.kinds.at(-1), "end", "in-flight work finishes before the deadline");
    assert.equal(endOf(shortOut)?.tokensOut, 400);
    const longOut = await long.done;
    const cut = errorOf(longOut);
    assert.equal(cut?.code, "POOL_UNAVAILABLE", JSON.stringify(longOut.events.at(-1)));
    assert.equal(cut?.retriable, true);
    assert.ok(longOut.kinds.filter((k) => k === "token").length < 4000);
    const idle = await waitForPool(serve.pools, "cpu-0", (h) => h.activeLeases === 0);
    assert.equal(idle.draining, true);
  });

  it("a reload ends the drain: work started after it outlives the old drain deadline", async () => {
    await unary((cb) => serve.pools.drain({ poolId: "cpu-0", deadlineMs: 300 }, cb));
    await reload(serve, "builtin:tiny");
    const reopened = await health(serve);
    assert.equal(reopened.draining, false);
    assert.equal(reopened.ready, true);
    const out = await submit(serve.orchestrator, {
      prompt: "after the drain",
      maxTokens: 1500,
      ignoreEos: true,
    });
    assert.equal(out.kinds.at(-1), "end", JSON.stringify(out.events.at(-1)));
    assert.equal(endOf(out)?.tokensOut, 1500);
  });
});
