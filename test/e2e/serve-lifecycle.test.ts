// A serve killed and restarted, or stopped under load (issue 14): records of unfinished tasks end,
// their streams answer a terminal error, and a SIGTERM exits within the drain deadline.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { type TaskRecord, TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { errorOf, startTask, unary } from "../support/grpc-calls.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
admission: { queue_capacity: 16 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

async function admit(serve: ServeProcess, prompt: string, maxTokens: number): Promise<string> {
  const json = { model_ref: "builtin:tiny", prompt, max_tokens: maxTokens, ignore_eos: true };
  const answer = await call(serve, "POST", "/v1/tasks", { json });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return String(answer.body?.task_id);
}

function record(serve: ServeProcess, taskId: string): Promise<TaskRecord> {
  return unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb));
}

describe("serve killed and restarted on the same data dir", () => {
  let dataDir: string;
  let serve: ServeProcess;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "llama-orch-lost-"));
    serve = await startServe({ config, dataDir });
  });
  after(async () => {
    await serve?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("ORCH-2003 tasks queued or running at the kill end WORKER_RESET; stream and cancel answer them", async () => {
    const running = await startTask(
      serve.orchestrator,
      { prompt: "running at the kill", maxTokens: 3000, ignoreEos: true },
      2,
    );
    const queued = [await admit(serve, "queued 1", 50), await admit(serve, "queued 2", 50)];
    const exited = new Promise((resolve) => serve.child.once("exit", resolve));
    serve.child.kill("SIGKILL");
    await exited;
    await running.done;
    serve = await startServe({ config, dataDir });
    for (const taskId of [running.taskId, ...queued]) {
      const lost = await record(serve, taskId);
      assert.equal(lost.state, TaskState.TASK_STATE_FINISHED_ERROR, taskId);
      assert.equal(lost.error?.code, "WORKER_RESET");
      assert.equal(lost.error?.retriable, true);
      assert.ok(Number(lost.endedMs) > 0);
    }
    const taskId = queued[0] as string;
    const stream = await request(`${serve.http}/v1/tasks/${taskId}/stream`);
    assert.equal(stream.statusCode, 200);
    const text = await stream.body.text();
    assert.match(text, /^event: error\n/);
    assert.match(text, /"code":"WORKER_RESET"/);
    assert.match(text, /"retriable":true/);
    const cancel = await call(serve, "POST", `/v1/tasks/${taskId}/cancel`);
    assert.equal(cancel.status, 204);
  });
});

describe("serve stopped by SIGTERM under load", () => {
  it("ORCH-2003 queued tasks end retriably, running ones at the drain deadline, and serve exits 0", async () => {
    const serve = await startServe({ config: `${config}shutdown: { drain_ms: 0 }\n` });
    try {
      const running = await startTask(
        serve.orchestrator,
        { prompt: "running at the stop", maxTokens: 3000, ignoreEos: true },
        2,
      );
      const queued = [await admit(serve, "queued 1", 50), await admit(serve, "queued 2", 50)];
      const streams = queued.map(async (taskId) => {
        const res = await request(`${serve.http}/v1/tasks/${taskId}/stream`);
        return res.body.text();
      });
      await sleep(200); // both streams attached
      const exited = new Promise<number | null>((resolve) => serve.child.once("exit", resolve));
      serve.child.kill("SIGTERM");
      for (const text of await Promise.all(streams)) {
        assert.match(text, /event: error\n/);
        assert.match(text, /"code":"POOL_UNAVAILABLE"/);
        assert.match(text, /"retriable":true/);
        assert.doesNotMatch(text, /event: token/, "a queued task never starts during shutdown");
      }
      const cut = errorOf(await running.done);
      assert.equal(cut?.code, "POOL_UNAVAILABLE");
      assert.match(String(cut?.message), /drain deadline/);
      assert.equal(await exited, 0);
      // The log writes level names (warn, error, fatal), not numbers.
      const warnings = serve.logs.filter((l) =>
        ["warn", "error", "fatal"].includes(String(l.level)),
      );
      assert.deepEqual(
        warnings
          .map((l) => l.msg)
          .filter((m) => m !== "drain deadline passed; ending running tasks"),
        [],
      );
    } finally {
      await serve.stop();
    }
  });
});

/** The pids of `parent`'s child processes, read from /proc (no procps needed). */
function childrenOf(parent: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent;
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

describe("serve stopped by SIGTERM while its worker hangs", () => {
  it("ORCH-2003 exits within the drain deadline plus its margin, the hung worker killed", async () => {
    const drainMs = 500;
    const serve = await startServe({ config: `${config}shutdown: { drain_ms: ${drainMs} }\n` });
    const [worker] = childrenOf(serve.child.pid as number);
    assert.ok(worker, "serve runs a worker process");
    try {
      const running = await startTask(
        serve.orchestrator,
        { prompt: "running when the worker hangs", maxTokens: 3000, ignoreEos: true },
        2,
      );
      process.kill(worker, "SIGSTOP"); // a worker that never answers SIGTERM
      const exited = new Promise<number | null>((resolve) => serve.child.once("exit", resolve));
      const sentAt = Date.now();
      serve.child.kill("SIGTERM");
      assert.equal(await exited, 0);
      // Bounded by drain + 2 s margin; the old stop waited 5 s for the worker, then up to 2 s more.
      const tookMs = Date.now() - sentAt;
      assert.ok(tookMs < drainMs + 4500, `serve took ${tookMs} ms to exit`);
      assert.equal(errorOf(await running.done)?.code, "POOL_UNAVAILABLE");
      assert.throws(() => process.kill(worker, 0), /ESRCH/, "the hung worker was killed");
    } finally {
      try {
        if (worker) process.kill(worker, "SIGKILL");
      } catch {}
      await serve.stop();
    }
  });
});
