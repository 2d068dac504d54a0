// Pool administration over HTTP against a real serve: purge (drain, fresh worker, regenerated model
// file) and attaching a hand-started worker through POST /v1/workers/register.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { llamaCppDir } from "../../src/common/paths.js";
import { PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, errorOf, startTask, submit } from "../support/grpc-calls.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe, waitForPool, workerPid } from "../support/serve-process.js";
import { cleanEnv, startWorker, type WorkerProcess } from "../support/worker-process.js";

const TOKEN = "pool-admin-secret";
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 200, stale_after_ms: 60000 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;
const auth = { authorization: `Bearer ${TOKEN}` };

describe("pool administration over HTTP", () => {
  let serve: ServeProcess;
  let cache: string;
  let isolated: Record<string, string>;
  const workers: WorkerProcess[] = [];
  before(async () => {
    // Its own model cache, so the purge deletes and regenerates nothing other tests use (the
    // generator still reads its vocabulary from the shared llama.cpp checkout).
    cache = mkdtempSync(join(tmpdir(), "llama-orch-purge-"));
    isolated = { LLAMA_ORCH_CACHE: cache, LLAMA_CPP_DIR: llamaCppDir() };
    serve = await startServe({
      config,
      token: TOKEN,
      env: { AUTH_TOKEN: TOKEN, AUTH_OPTIONAL: "true", ...isolated },
    });
  });
  after(async () => {
    for (const worker of workers) worker.kill();
    await serve?.stop();
    rmSync(cache, { recursive: true, force: true });
  });

  it("ORCH-2104 purge cancels running work, regenerates the purged model and starts a fresh worker", async () => {
    const modelFile = join(cache, "models", "tiny-f16-s42.gguf");
    const before = statSync(modelFile);
    const pidBefore = workerPid(serve, "cpu-0");
    const running = await startTask(serve.orchestrator, {
      prompt: "purge me",
      maxTokens: 3000,
      ignoreEos: true,
    });
    assert.ok(running.started, "the task holds the pool's slot");
    const answer = await call(serve, "POST", "/v1/pools/cpu-0/purge", {
      headers: auth,
      json: { purge_models: ["builtin:tiny"], drain_first: false },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { status: "accepted", model_files: [modelFile] });
    const ended = await running.done;
    assert.equal(errorOf(ended)?.code, "POOL_UNAVAILABLE");
    assert.equal(errorOf(ended)?.retriable, true);

    const health = await waitForPool(serve.pools, "cpu-0", (h) => h.ready && h.restarts === 1);
    assert.equal(health.draining, false);
    assert.notEqual(workerPid(serve, "cpu-0"), pidBefore, "a fresh worker serves the pool");
    assert.ok(statSync(modelFile).birthtimeMs > before.birthtimeMs, "the model was regenerated");
    const out = await submit(serve.orchestrator, {
      prompt: "after",
      maxTokens: 4,
      ignoreEos: true,
    });
    assert.equal(endOf(out)?.tokensOut, 4);
  });

  it("ORCH-2104 purge refuses what it cannot do, before touching the pool", async () => {
    const refusals: [string, unknown, number, RegExp][] = [
      ["/v1/pools/cpu-0/purge", { purge_models: ["/home/me/model.gguf"] }, 400, /builtin/],
      ["/v1/pools/cpu-0/purge", { purge_engine: true }, 400, /build:addon/],
      ["/v1/pools/cpu-0/purge", { purge_models: ["builtin:huge"] }, 400, /unknown built-in/],
      ["/v1/pools/nope/purge", {}, 404, /no pool nope/],
    ];
    for (const [path, json, status, message] of refusals) {
      const answer = await call(serve, "POST", path, { headers: auth, json });
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.match(String(answer.body?.message), message);
    }
    const health = await waitForPool(serve.pools, "cpu-0", (h) => h.ready);
    assert.equal(health.draining, false);
  });

  it("AUTH-1003 worker registration needs the token even on loopback with AUTH_OPTIONAL", async () => {
    const body = { pool_id: "attached", address: "127.0.0.1:1" };
    const missing = await call(serve, "POST", "/v1/workers/register", { json: body });
    assert.equal(missing.status, 401);
    assert.equal(missing.body?.code, 40101);
    const wrong = await call(serve, "POST", "/v1/workers/register", {
      json: body,
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body?.code, 40102);
    const nobody = await call(serve, "POST", "/v1/workers/register", { json: body, headers: auth });
    assert.equal(nobody.status, 400);
    assert.match(String(nobody.body?.message), /no llama-orch worker answered at 127\.0\.0\.1:1/);
  });

  it("AUTH-1003 attaches a running worker by address; tasks pinned to its pool run on it", async () => {
    // The worker cannot reach a control plane itself (nothing listens on port 1).
    const args = ["--control", "127.0.0.1:1", "--pool", "attached", "--model", "builtin:tiny"];
    args.push("--backend", "cpu", "--slots", "1", "--threads", "1");
    const worker = await startWorker(args, cleanEnv({ AUTH_TOKEN: TOKEN, ...isolated }));
    workers.push(worker);
    const answer = await call(serve, "POST", "/v1/workers/register", {
      headers: auth,
      json: { pool_id: "attached", replica_id: "r7", address: worker.address },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body?.ok, true);
    assert.equal(answer.body?.pool_id, "attached");
    assert.equal(answer.body?.replica_id, "r7");
    assert.match(String(answer.body?.identity), /^token:[0-9a-f]{6}$/);
    assert.equal(answer.body?.heartbeat_interval_ms, 200);
    const health = await waitForPool(serve.pools, "attached", (h) => h.ready);
    assert.equal(health.slotsTotal, 1);
    const out = await submit(serve.orchestrator, {
      prompt: "over here",
      maxTokens: 3,
      ignoreEos: true,
      placement: PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: "attached" }),
    });
    assert.equal(endOf(out)?.tokensOut, 3, out.error?.message);
  });
});
