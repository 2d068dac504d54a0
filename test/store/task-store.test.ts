// Recent task records in a real LevelDB: lookup, newest-first listing, retention, restart.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { openStore, type Store } from "../../src/store/db.js";
import { type TaskRecord, TaskStore } from "../../src/store/task-store.js";

let dir = "";
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-tasks-"));
  store = await openStore(dir);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function task(n: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId: `t-${n}`,
    sessionId: "s-1",
    state: "QUEUED",
    modelRef: "builtin:tiny",
    priority: "interactive",
    seed: n,
    tokensIn: 0,
    tokensOut: 0,
    decodeTimeMs: 0,
    createdMs: 1_000 + n,
    ...extra,
  };
}

const ids = (records: TaskRecord[]) => records.map((r) => r.taskId);

test("put and get; a put replaces the record (state transitions)", async () => {
  const tasks = new TaskStore(store);
  assert.equal(await tasks.get("t-1"), undefined);
  await tasks.put(task(1));
  const done = task(1, {
    state: "FINISHED_ERROR",
    poolId: "cpu-0",
    tokensIn: 3,
    error: { code: "WORKER_RESET", message: "worker exited" },
    endedMs: 2_000,
  });
  await tasks.put(done);
  assert.deepEqual(await tasks.get("t-1"), done);
  assert.deepEqual(ids(await tasks.list()), ["t-1"]);
});

test("list is newest first, by creation time, and honours limit", async () => {
  const tasks = new TaskStore(store);
  // Creation order differs from put order, and one creation time is past 10^4 (key padding).
  await Promise.all([task(3), task(1), task(12_000), task(2)].map((t) => tasks.put(t)));
  assert.deepEqual(ids(await tasks.list()), ["t-12000", "t-3", "t-2", "t-1"]);
  assert.deepEqual(ids(await tasks.list({ limit: 2 })), ["t-12000", "t-3"]);
});

test("a changed createdMs moves the record in the listing without duplicating it", async () => {
  const tasks = new TaskStore(store);
  await tasks.put(task(1));
  await tasks.put(task(2));
  await tasks.put(task(1, { createdMs: 5_000 }));
  assert.deepEqual(ids(await tasks.list()), ["t-1", "t-2"]);
});

test("retention keeps the newest N", async () => {
  const tasks = new TaskStore(store, { retain: 5, pruneEvery: 1 });
  for (let n = 1; n <= 12; n++) await tasks.put(task(n));
  assert.deepEqual(ids(await tasks.list()), ["t-12", "t-11", "t-10", "t-9", "t-8"]);
  assert.equal(await tasks.get("t-7"), undefined);
});

test("pruning waits for pruneEvery extra records, then trims back to N", async () => {
  const tasks = new TaskStore(store, { retain: 4, pruneEvery: 3 });
  for (let n = 1; n <= 6; n++) await tasks.put(task(n));
  assert.equal((await tasks.list()).length, 6);
  await tasks.put(task(7));
  assert.deepEqual(ids(await tasks.list()), ["t-7", "t-6", "t-5", "t-4"]);
  // Updates of existing records do not count as new ones.
  for (let i = 0; i < 5; i++) await tasks.put(task(7, { tokensOut: i }));
  assert.equal((await tasks.list()).length, 4);
});

test("restart keeps tasks, and retention counts what was already on disk", async () => {
  for (let n = 1; n <= 4; n++) await new TaskStore(store).put(task(n));
  await store.close();
  store = await openStore(dir);
  const tasks = new TaskStore(store, { retain: 4, pruneEvery: 1 });
  assert.deepEqual(await tasks.get("t-2"), task(2));
  await tasks.put(task(5));
  assert.deepEqual(ids(await tasks.list()), ["t-5", "t-4", "t-3", "t-2"]);
});
