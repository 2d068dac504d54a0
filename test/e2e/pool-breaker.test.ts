// A pool whose worker keeps crashing (issue 14): once the crash breaker opens, health shows
// `failed` with the worker's last error as text, the worker's log lines are structured in serve's
// log, and POST /v1/pools/{id}/restart re-arms the pool after the cause is fixed.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Answer, call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

async function healthUntil(serve: ServeProcess, state: string): Promise<Answer> {
  for (let i = 0; i < 600; i++) {
    const health = await call(serve, "GET", "/v1/pools/cpu-0/health");
    if (health.body?.state === state) return health;
    await sleep(100);
  }
  throw new Error(`pool cpu-0 never reached state ${state}`);
}

describe("a pool whose worker keeps crashing", () => {
  let dir: string;
  let model: string;
  let serve: ServeProcess;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-breaker-"));
    model = join(dir, "broken.gguf");
    // Passes serve's start-up check (GGUF magic) but no loader can read it.
    await writeFile(model, Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(64, 0xff)]));
    const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
supervisor: { backoff_initial_ms: 50, backoff_max_ms: 100, breaker_failures: 2 }
pools:
  - { id: cpu-0, model: "${model}", backend: cpu, slots: 1, context_size: 1024, threads: 1 }
`;
    serve = await startServe({ config, waitReady: false });
  });
  after(async () => {
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("ORCH-2103 shows failed with the last error as text; restart re-arms it once fixed", async () => {
    const failed = await healthUntil(serve, "failed");
    const lastError = String(failed.body?.last_error);
    assert.match(lastError, /circuit breaker open/);
    assert.match(lastError, /MODEL_\w+: /, "the worker's error code and message");
    assert.doesNotMatch(lastError, /\{"level"|\\"/, "text, not the worker's escaped JSON");
    const relayed = serve.logs.find((l) => l.component === "worker" && l.level === "error");
    const workerLines = serve.logs.filter((l) => l.component === "worker");
    assert.equal(relayed?.pool_id, "cpu-0", JSON.stringify(workerLines.slice(-3)));
    assert.match(String(relayed?.error_code), /^MODEL_/, "the worker's fields are fields");

    await copyFile(await tinyModelPath(), model); // the cause fixed
    const restart = await call(serve, "POST", "/v1/pools/cpu-0/restart");
    assert.equal(restart.status, 202, JSON.stringify(restart.body));
    assert.equal(restart.body?.accepted, true);
    const ready = await healthUntil(serve, "ready");
    assert.equal(ready.body?.last_error, "");
    const again = await call(serve, "POST", "/v1/pools/cpu-0/restart");
    assert.deepEqual([again.status, again.body?.accepted], [202, false], "nothing to re-arm");
    const missing = await call(serve, "POST", "/v1/pools/nope/restart");
    assert.equal(missing.status, 404);
  });
});
