// Leases and the draining flag have one writer, the registry: what placement and health read
// follows its methods, and a pool whose worker went away holds no leases.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PoolRegistry } from "../../src/control/pool-registry.js";

function registered(): PoolRegistry {
  const registry = new PoolRegistry();
  registry.register({ poolId: "p", address: "127.0.0.1:1", instanceId: "a", sequence: 1 }, 0);
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
});
