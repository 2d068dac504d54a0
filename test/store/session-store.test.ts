// Sessions in a real LevelDB: CRUD, and a restart keeps them.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { openStore, type Store } from "../../src/store/db.js";
import { SessionStore } from "../../src/store/session-store.js";

interface Session {
  sessionId: string;
  turns: number;
  expiresMs: number;
  budgets: { tokens?: number; cost?: number };
}

let dir = "";
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-sessions-"));
  store = await openStore(dir);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const s1: Session = { sessionId: "s-1", turns: 1, expiresMs: 1000, budgets: { tokens: 50 } };
const s2: Session = { sessionId: "s-2", turns: 0, expiresMs: 2000, budgets: { cost: 0.25 } };

test("put, get, list, delete", async () => {
  const sessions = new SessionStore<Session>(store);
  assert.equal(await sessions.get("s-1"), undefined);
  await sessions.put(s1);
  await sessions.put(s2);
  assert.deepEqual(await sessions.get("s-1"), s1);
  assert.deepEqual(await sessions.list(), [s1, s2]);
  await sessions.put({ ...s1, turns: 2 });
  assert.equal((await sessions.get("s-1"))?.turns, 2);
  await sessions.delete("s-1");
  assert.equal(await sessions.get("s-1"), undefined);
  assert.deepEqual(await sessions.list(), [s2]);
  await sessions.delete("never-existed");
});

test("restart keeps sessions (budgets persist across restarts)", async () => {
  await new SessionStore<Session>(store).put(s1);
  await store.close();
  store = await openStore(dir);
  assert.deepEqual(await new SessionStore<Session>(store).get("s-1"), s1);
});

test("sessions do not leak into other areas", async () => {
  await new SessionStore<Session>(store).put(s1);
  assert.deepEqual(await store.sublevel("tasks").keys().all(), []);
  assert.deepEqual(await store.sublevel("catalog").keys().all(), []);
});

test("a second open of the same data dir fails with a clear message", async () => {
  await assert.rejects(openStore(dir), /data_dir: .* is in use by another llama-orch serve/);
});
