// Pool states and the overall health status, table-driven: what /health says before, during and
// after a pool loads, while it drains and after its worker failed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { overallStatus } from "../../src/gateway/health-routes.js";
import { poolState } from "../../src/gateway/translate-control.js";
import { PoolHealth } from "../../src/gen/llama_orch/v1/pool.js";

describe("pool state and health status", () => {
  it("HLT-002 names a pool loading, ready, draining or down from its health", () => {
    const cases: [Partial<PoolHealth>, string][] = [
      [{}, "loading"],
      [{ live: true, ready: true }, "ready"],
      [{ live: true, ready: false, draining: true }, "draining"],
      [{ live: false, lastError: "worker exited (code 1)" }, "down"],
      [{ live: true, lastError: "transport failed" }, "down"],
    ];
    for (const [health, state] of cases) {
      assert.equal(poolState(PoolHealth.fromPartial(health)), state, JSON.stringify(health));
    }
  });

  it("HLT-001 is ok with any ready pool, loading while one loads, unavailable otherwise", () => {
    assert.equal(overallStatus([]), "unavailable", "no pool at all");
    assert.equal(overallStatus(["loading"]), "loading", "before the first worker registers");
    assert.equal(overallStatus(["loading", "ready"]), "ok");
    assert.equal(overallStatus(["down", "draining"]), "unavailable");
    assert.equal(overallStatus(["down", "loading"]), "loading", "a restart may bring it back");
  });
});
