// Leases and the draining flag have one writer, the registry: what placement and health read
// follows its methods, and a pool whose worker went away holds no leases.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PoolRegistry } from "../../src/control/pool-registry.js";
import { Telemetry, WorkerDescription } from "../../src/gen/llama_orch/v1/worker.js";

function registered(): PoolRegistry {
  const registry = new PoolRegistry();
  registry.register({ poolId: "p", address: "127.0.0.1:1", instanceId: "a", sequence: 1 }, 0);
  return registry;
}

/** A pool of `engine` whose last heartbeat reported one sequence busy and one waiting. */
function reportingBusy(engine: string): PoolRegistry {
  const registry = new PoolRegistry();
  const request = { poolId: "p", address: "127.0.0.1:1", instanceId: "a", sequence: 1 };
  const workerId = registry.register(request, 0);
  registry.describe("p", WorkerDescription.fromPartial({ engine, slots: 4 }));
  const telemetry = Telemetry.fromPartial({ slotsBusy: 1, pending: 1 });
  registry.heartbeat({ workerId, poolId: "p", instanceId: "a", sequence: 2, telemetry }, 10);
  return registry;
}

const snapshot = (registry: PoolRegistry) => registry.snapshots(() => 0)[0];

describe("pool registry: leases and draining", () => {
  it("leases taken and given back show in the pool's snapshot, never below zero", () => {
    const registry = registered();
    registry.takeLease("p");
    registry.takeLease("p");
    assert.equal(snapshot(registry)?.activeLeases, 2);
    registry.releaseLease("p");
    registry.releaseLease("p");
    registry.releaseLease("p");
    assert.equal(snapshot(registry)?.activeLeases, 0, "a late release does not go negative");
    registry.markDown("p", "test over");
  });

  it("a pool marked down holds no leases, whatever its tasks' ends report later", () => {
    const registry = registered();
    let leasesAtDown = -1;
    registry.on("down", () => {
      leasesAtDown = registry.get("p")?.activeLeases ?? -1;
    });
    registry.takeLease("p");
    registry.takeLease("p");
    registry.markDown("p", "worker exited");
    assert.equal(leasesAtDown, 0, "listeners of `down` already see the leases gone");
    registry.releaseLease("p");
    assert.equal(snapshot(registry)?.activeLeases, 0);
  });

  it("draining is set and cleared through the registry and shows in snapshots", () => {
    const registry = registered();
    registry.setDraining("p", true);
    assert.equal(snapshot(registry)?.draining, true);
    registry.setDraining("p", false);
    assert.equal(snapshot(registry)?.draining, false);
    registry.markDown("p", "test over");
  });

  it("an external engine's own busy report counts; a native worker's, a heartbeat old, does not", () => {
    const external = reportingBusy("vllm");
    assert.equal(snapshot(external)?.engineBusy, 2, "running + waiting, other clients included");
    external.markDown("p", "test over");
    // The native worker ran only our leases; with none left the pool is idle, whatever it last said.
    const native = reportingBusy("llamacpp");
    assert.equal(snapshot(native)?.engineBusy, undefined);
    assert.equal(snapshot(native)?.activeLeases, 0);
    native.markDown("p", "test over");
  });
});
