// Out of memory at load (issue 16): a pool whose KV cache cannot be allocated fails alone, with
// POOL_INSUFFICIENT_MEMORY (host RAM; a GPU's is POOL_INSUFFICIENT_VRAM) and the bytes in its
// last_error, while the control plane and the other pool keep serving; the worker exits and the
// supervisor's breaker stops the retries.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureModel } from "../../src/models/ensure-model.js";
import { type Answer, call } from "../support/http-calls.js";
import { hugeKvLoad, hugeKvUntestable } from "../support/oom.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

async function healthUntil(serve: ServeProcess, poolId: string, state: string): Promise<Answer> {
  for (let i = 0; i < 1200; i++) {
    const health = await call(serve, "GET", `/v1/pools/${poolId}/health`);
    if (health.body?.state === state) return health;
    await sleep(100);
  }
  throw new Error(`pool ${poolId} never reached state ${state}`);
}

const untestable = hugeKvUntestable();

describe("a pool that runs out of memory at load", { skip: untestable, timeout: 300_000 }, () => {
  let serve: ServeProcess;
  before(async () => {
    const bench = await ensureModel("bench");
    const { slots, contextSize, kvType } = hugeKvLoad;
    const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
supervisor: { backoff_initial_ms: 50, backoff_max_ms: 100, breaker_failures: 2 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }
  - { id: huge-kv, model: "${bench}", backend: cpu, slots: ${slots}, context_size: ${contextSize}, kv_type: ${kvType}, threads: 1 }
`;
    serve = await startServe({ config, waitReady: false });
  });
  after(() => serve?.stop());

  it("ORCH-3039 fails with POOL_INSUFFICIENT_MEMORY and the bytes; the other pool still serves", async () => {
    const failed = await healthUntil(serve, "huge-kv", "failed");
    const lastError = String(failed.body?.last_error);
    assert.match(lastError, /POOL_INSUFFICIENT_MEMORY: out of host memory creating the context/);
    assert.match(lastError, /failed to allocate CPU buffer of size \d+/, "the device and bytes");
    assert.match(lastError, /lower gpu_layers, context_size or slots/, "what to change");
    await healthUntil(serve, "cpu-0", "ready");
    const task = await call(serve, "POST", "/v1/completions", {
      json: { model: "builtin:tiny", prompt: "hi", max_tokens: 2 },
    });
    assert.equal(task.status, 200, JSON.stringify(task.body));
    assert.equal(serve.child.exitCode, null, "the control plane is still running");
  });
});
