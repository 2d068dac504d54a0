// One native pool and one vLLM adapter pool behind one `llama-orch serve`: placement compares
// them on the same load terms (the vLLM pool's load read from its engine's metrics), logs the
// numbers it used, and tasks placed on the adapter pool stream through the engine's protocol.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/engine.js";
import { type Capabilities, PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import type { StandinServer } from "../support/engine-standins/standin-server.js";
import { vllmStandin } from "../support/engine-standins/vllm.js";
import { startedOf, startTask, submit, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForPool } from "../support/serve-process.js";
import { loadTiny } from "../support/tiny.js";

interface Placement {
  ranking: string[];
  tieBreakers: string[];
  loads: Record<string, { leases: number; engine_busy?: number; queued: number; slots: number }>;
  selected?: string;
}

describe("a native pool and a vLLM pool in one placement", { timeout: 240_000 }, () => {
  let engine: Engine;
  let vllm: StandinServer;
  let serve: ServeProcess;

  before(async () => {
    engine = await loadTiny({ slots: 4 });
    vllm = await vllmStandin(engine, "tiny").start();
    serve = await startServe({
      config: `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 100, stale_after_ms: 5000 }
pools:
  - { id: native-0, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 1024, threads: 1 }
  - { id: vllm-0, model: "builtin:tiny", backend: cuda, engine: vllm, endpoint: "${vllm.url}", served_model: tiny, slots: 2, context_size: 1024 }
`,
    });
  });
  after(async () => {
    await serve?.stop();
    await vllm?.stop();
    await engine?.dispose();
  });

  function lastDecision(): Placement {
    const line = [...serve.logs].reverse().find((entry) => entry.msg === "placement decision");
    assert.ok(line, "a placement decision was logged");
    return line.placement as Placement;
  }

  it("capabilities list both engines, each with its own features", async () => {
    const caps = await unary<Capabilities>((cb) => serve.orchestrator.getCapabilities({}, cb));
    const byEngine = new Map(caps.engines.map((e) => [e.engine, e]));
    assert.deepEqual(byEngine.get("vllm")?.pools, ["vllm-0"]);
    assert.equal(byEngine.get("vllm")?.features.strict_determinism, false);
    assert.equal(byEngine.get("llamacpp")?.features.strict_determinism, true);
  });

  it("an engine busy with other clients loses to an idle native pool; the log shows its numbers", async () => {
    vllm.faults = { otherRunning: 6 };
    await waitForPool(serve.pools, "vllm-0", (h) => h.slotsBusy === 6);
    const out = await submit(serve.orchestrator, { prompt: "where?", maxTokens: 3 });
    assert.equal(out.error, undefined, out.error?.message);
    assert.equal(startedOf(out)?.poolId, "native-0");
    const decision = lastDecision();
    assert.equal(decision.loads["vllm-0"]?.engine_busy, 6);
    assert.equal(decision.tieBreakers.at(-1), "least_loaded");
    vllm.faults = {};
  });

  it("with the native pool busy, the idle vLLM pool takes the task and streams its tokens", async () => {
    await waitForPool(serve.pools, "vllm-0", (h) => h.slotsBusy === 0);
    const busy = await startTask(
      serve.orchestrator,
      {
        prompt: "long",
        maxTokens: 900,
        ignoreEos: true,
        placement: PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: "native-0" }),
      },
      1,
    );
    const before = vllm.received.filter((r) => r.path === "/v1/completions").length;
    const out = await submit(serve.orchestrator, { prompt: "and now?", maxTokens: 4 });
    assert.equal(out.error, undefined, out.error?.message);
    assert.equal(startedOf(out)?.poolId, "vllm-0");
    assert.ok(out.text.length > 0);
    assert.equal(vllm.received.filter((r) => r.path === "/v1/completions").length, before + 1);
    assert.equal(lastDecision().selected, "vllm-0");
    busy.call.cancel();
    await busy.done;
  });

  it("an engine that goes down makes its pool unready with the engine's reason", async () => {
    vllm.faults = { down: true };
    const health = await waitForPool(serve.pools, "vllm-0", (h) => !h.ready);
    assert.match(health.lastError, /503/);
    const out = await submit(serve.orchestrator, { prompt: "still?", maxTokens: 3 });
    assert.equal(startedOf(out)?.poolId, "native-0");
    vllm.faults = {};
    await waitForPool(serve.pools, "vllm-0", (h) => h.ready);
  });
});
