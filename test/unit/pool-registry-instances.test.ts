// Heartbeats name their worker instance and number: a restarted worker (new instance) is never
// taken for the old one, and a beat not newer than the last one does not count as fresh.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PoolRegistry } from "../../src/control/pool-registry.js";
import type { RegisterRequest } from "../../src/gen/llama_orch/v1/worker.js";

function registration(instanceId: string, sequence = 1): RegisterRequest {
  return { poolId: "far", address: "127.0.0.1:1", instanceId, sequence };
}

function beat(workerId: string, instanceId: string, sequence: number) {
  return { workerId, poolId: "far", instanceId, sequence };
}

describe("pool registry: worker instances and beat sequence", () => {
  it("a beat of another instance holding the same worker id is unknown: it must register", () => {
    const registry = new PoolRegistry();
    const workerId = registry.register(registration("a"), 0);
    assert.equal(registry.heartbeat(beat(workerId, "a", 2), 10), true);
    assert.equal(registry.heartbeat(beat(workerId, "b", 3), 20), false);
    for (const pool of registry.all()) pool.client?.close();
  });

  it("a beat not newer than the last does not refresh the pool's liveness", () => {
    const registry = new PoolRegistry();
    const workerId = registry.register(registration("a", 1), 0);
    registry.heartbeat(beat(workerId, "a", 5), 1000);
    registry.heartbeat(beat(workerId, "a", 4), 9000);
    assert.equal(registry.get("far")?.lastHeartbeatMs, 1000);
    registry.expireStale(7000, 5000);
    assert.equal(registry.get("far")?.ready, false, "the late, older beat kept nothing alive");
  });

  it("a new instance registering ends the old instance's tasks at once (down, then ready)", () => {
    const registry = new PoolRegistry();
    const events: string[] = [];
    registry.on("down", (poolId, reason) => events.push(`down ${poolId}: ${reason}`));
    registry.on("ready", (poolId) => events.push(`ready ${poolId}`));
    registry.register(registration("a"), 0);
    registry.register(registration("a", 7), 100);
    assert.deepEqual(events, ["ready far", "ready far"], "the same instance re-registering");
    registry.register(registration("b"), 200);
    assert.deepEqual(events.slice(2), [
      "down far: its worker restarted (a new instance registered)",
      "ready far",
    ]);
    for (const pool of registry.all()) pool.client?.close();
  });
});
