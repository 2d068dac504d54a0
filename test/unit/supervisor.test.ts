// The supervisor restarts crashing workers with exponential backoff and stops at the breaker.
import assert from "node:assert/strict";
import { it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Supervisor, type WorkerExit } from "../../src/control/supervisor.js";

const crash = () => ({
  file: process.execPath,
  args: ["-e", "process.stderr.write('boom\\n'); process.exit(3)"],
});
/** Events may fire between awaits, so poll the recorded state rather than awaiting the next one. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

const idle = () => ({ file: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"] });

it("restarts a crashing worker with doubling backoff until the circuit breaker opens", async () => {
  const supervisor = new Supervisor({
    backoffInitialMs: 20,
    backoffMaxMs: 70,
    breakerFailures: 4,
    breakerWindowMs: 60_000,
    command: crash,
  });
  const exits: WorkerExit[] = [];
  supervisor.on("exit", (exit) => exits.push(exit));
  supervisor.start({ poolId: "p", args: () => [] });
  await until(() => exits.at(-1)?.breakerOpen === true);
  assert.deepEqual(
    exits.map((e) => e.restartInMs),
    [20, 40, 70, undefined],
  );
  assert.equal(exits.length, 4);
  assert.equal(supervisor.restarts("p"), 3);
  assert.ok(exits.every((e) => e.code === 3 && e.lastOutput === "boom"));
  await supervisor.stop();
});

it("resets the backoff once a worker came up healthy", async () => {
  const supervisor = new Supervisor({
    backoffInitialMs: 10,
    backoffMaxMs: 1000,
    breakerFailures: 10,
    breakerWindowMs: 60_000,
    command: crash,
  });
  const exits: WorkerExit[] = [];
  supervisor.on("exit", (exit) => {
    exits.push(exit);
    if (exits.length === 2) supervisor.markHealthy("p");
  });
  supervisor.start({ poolId: "p", args: () => [] });
  await until(() => exits.length >= 3);
  await supervisor.stop();
  assert.deepEqual(
    exits.slice(0, 3).map((e) => e.restartInMs),
    [10, 20, 10],
  );
});

it("stops running workers and does not restart them", async () => {
  const supervisor = new Supervisor({
    backoffInitialMs: 10,
    backoffMaxMs: 100,
    breakerFailures: 3,
    breakerWindowMs: 60_000,
    command: idle,
  });
  supervisor.start({ poolId: "a", args: () => [] });
  supervisor.start({ poolId: "b", args: () => [] });
  await until(() => supervisor.pid("a") !== undefined && supervisor.pid("b") !== undefined);
  const exits: WorkerExit[] = [];
  supervisor.on("exit", (exit) => exits.push(exit));
  await supervisor.stop(2000);
  assert.equal(exits.length, 2);
  assert.ok(exits.every((e) => e.signal === "SIGTERM" && e.restartInMs === undefined));
  assert.equal(supervisor.pid("a"), undefined);
});

it("a restart asked for stops the worker, runs the step between, and starts a fresh one at once", async () => {
  const supervisor = new Supervisor({
    backoffInitialMs: 60_000,
    backoffMaxMs: 60_000,
    breakerFailures: 1,
    breakerWindowMs: 60_000,
    command: idle,
  });
  const spawned: number[] = [];
  const exits: WorkerExit[] = [];
  supervisor.on("spawn", (_pool, pid) => spawned.push(pid));
  supervisor.on("exit", (exit) => exits.push(exit));
  supervisor.start({ poolId: "p", args: () => [] });
  await until(() => spawned.length === 1);
  const order: string[] = [];
  await supervisor.restart("p", async () => {
    order.push(`between: ${supervisor.pid("p") === undefined ? "none running" : "still running"}`);
  });
  order.push(`after: ${spawned.length} spawned`);
  assert.deepEqual(order, ["between: none running", "after: 2 spawned"]);
  // A breaker that opens on one crash, and a minute of backoff: neither applied to this exit.
  assert.deepEqual(
    exits.map((e) => [e.signal, e.restartInMs, e.breakerOpen]),
    [["SIGTERM", 0, false]],
  );
  assert.equal(supervisor.restarts("p"), 1);
  assert.notEqual(spawned[1], spawned[0]);
  await supervisor.stop();
});
