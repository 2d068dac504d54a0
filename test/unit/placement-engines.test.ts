// Placement across engines: the engine a task names, strict determinism only where the engine
// isolates a sequence, and load as the engine itself reports it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decidePlacement } from "../../src/control/placement.js";
import { job, pool } from "../support/placement-fixtures.js";

const native = pool("native", { vramFreeBytes: undefined });
const vllm = pool("vllm", { engine: "vllm", isolatesBatch: false, vramFreeBytes: undefined });

describe("placement across engines", () => {
  it("a task that names an engine goes only to pools of it", () => {
    const decision = decidePlacement(job({}, { engine: "vllm" }), [native, vllm]);
    assert.equal(decision.kind === "assigned" && decision.poolId, "vllm");
    assert.deepEqual(decision.log.filtered, [
      { poolId: "native", reason: "engine_mismatch", detail: "engine llamacpp, not vllm" },
    ]);
  });

  it("a strict task skips engines that cannot isolate it; with none left it is ENGINE_UNSUPPORTED", () => {
    const strict = job({}, { determinism: "strict" });
    const busyNative = { ...native, activeLeases: 4 };
    const decision = decidePlacement(strict, [busyNative, vllm]);
    assert.equal(decision.kind === "assigned" && decision.poolId, "native");
    const refused = decidePlacement(strict, [vllm]);
    assert.equal(refused.kind, "no_capacity");
    assert.equal(refused.kind === "no_capacity" && refused.code, "ENGINE_UNSUPPORTED");
  });

  it("an engine busy with other clients counts as loaded, and the log says by how much", () => {
    const decision = decidePlacement(job(), [native, { ...vllm, engineBusy: 3 }]);
    assert.equal(decision.kind === "assigned" && decision.poolId, "native");
    assert.deepEqual(decision.log.tieBreakers, [
      "session_affinity",
      "prefix_cache",
      "least_loaded",
    ]);
    assert.deepEqual(decision.log.loads.vllm, { leases: 0, engine_busy: 3, queued: 0, slots: 4 });
  });

  it("an engine's report, a heartbeat old, never undercounts the leases just granted", () => {
    const justLeased = { ...native, activeLeases: 2, engineBusy: 0 };
    const decision = decidePlacement(job(), [justLeased, { ...vllm, engineBusy: 1 }]);
    assert.equal(decision.kind === "assigned" && decision.poolId, "vllm");
  });
});
