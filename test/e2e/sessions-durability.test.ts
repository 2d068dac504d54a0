// Sessions end to end (DESIGN decision 8): idle expiry, budgets reserved atomically under
// concurrent admissions, and a restarted control plane that keeps turns and budgets.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { SessionInfo } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, startTask, submit, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

function config(sessions: string): string {
  return `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
sessions: ${sessions}
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 2048, threads: 1 }
`;
}

function session(serve: ServeProcess, sessionId: string): Promise<SessionInfo> {
  return unary<SessionInfo>((cb) => serve.orchestrator.getSession({ sessionId }, cb));
}

describe("session TTL", () => {
  const ttlMs = 1500;
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config: config(`{ ttl_ms: ${ttlMs} }`) });
  });
  after(() => serve?.stop());

  it("an idle session expires after ttl_ms; its id then starts a fresh session", async () => {
    const sessionId = randomUUID();
    for (const prompt of ["one", "two"]) {
      const out = await submit(serve.orchestrator, { sessionId, prompt, maxTokens: 3 });
      assert.equal(out.kinds.at(-1), "end");
    }
    const live = await session(serve, sessionId);
    assert.equal(live.turns, 2);
    assert.ok(live.ttlMsRemaining > 0 && live.ttlMsRemaining <= ttlMs);

    await sleep(ttlMs + 300);
    await assert.rejects(session(serve, sessionId), { code: "SESSION_NOT_FOUND" });
    const again = await submit(serve.orchestrator, { sessionId, prompt: "again", maxTokens: 3 });
    assert.equal(again.kinds.at(-1), "end");
    const fresh = await session(serve, sessionId);
    assert.equal(fresh.turns, 1);
  });

  it("use keeps a session alive: the TTL counts from the last turn", async () => {
    const sessionId = randomUUID();
    for (let turn = 1; turn <= 3; turn++) {
      await submit(serve.orchestrator, { sessionId, prompt: `turn ${turn}`, maxTokens: 2 });
      await sleep(ttlMs / 2);
    }
    const info = await session(serve, sessionId);
    assert.equal(info.turns, 3, "the session lived past one TTL because it was used");
  });
});

describe("session budgets and restart", () => {
  let dataDir: string;
  let serve: ServeProcess;
  const sessionsConfig = config("{ max_turns: 8 }");
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "llama-orch-restart-"));
    serve = await startServe({ config: sessionsConfig, dataDir });
  });
  after(async () => {
    await serve?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("concurrent submits on one session: exactly the ones the token budget fits are admitted", async () => {
    const sessionId = randomUUID();
    const maxTokens = 5;
    const fits = 3;
    const budgets = { tokens: maxTokens * fits };
    const outs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        submit(serve.orchestrator, {
          sessionId,
          prompt: `racer ${i}`,
          maxTokens,
          ignoreEos: true,
          budgets,
        }),
      ),
    );
    const admitted = outs.filter((out) => out.error === undefined);
    const refused = outs.filter((out) => out.error !== undefined);
    assert.equal(admitted.length, fits);
    for (const out of refused) assert.equal(out.error?.code, "BUDGET_EXCEEDED", out.error?.message);
    for (const out of admitted) assert.equal(endOf(out)?.tokensOut, maxTokens);
    const info = await session(serve, sessionId);
    assert.equal(info.turns, fits, "refused submits take no turn");
    assert.equal(info.tokensBudgetRemaining, 0);
  });

  it("a restarted control plane keeps sessions: turns and budget remaining", async () => {
    const sessionId = randomUUID();
    const budgets = { tokens: 50 };
    for (const prompt of ["first", "second"]) {
      const out = await submit(serve.orchestrator, {
        sessionId,
        prompt,
        maxTokens: 8,
        ignoreEos: true,
        budgets,
      });
      assert.equal(endOf(out)?.tokensOut, 8);
    }
    const before = await session(serve, sessionId);
    assert.equal(before.turns, 2);
    assert.equal(before.tokensBudgetRemaining, 34);

    await serve.stop();
    serve = await startServe({ config: sessionsConfig, dataDir });
    const restored = await session(serve, sessionId);
    assert.equal(restored.turns, 2);
    assert.equal(restored.maxTurns, 8);
    assert.equal(restored.tokensBudgetRemaining, 34);
    assert.equal(restored.kvWarmth, false, "KV lived in the old worker");

    const third = await submit(serve.orchestrator, {
      sessionId,
      prompt: "third",
      maxTokens: 8,
      ignoreEos: true,
    });
    assert.equal(third.kinds.at(-1), "end");
    const after = await session(serve, sessionId);
    assert.equal(after.turns, 3);
    assert.equal(after.tokensBudgetRemaining, 26);
    const tooMuch = await submit(serve.orchestrator, { sessionId, prompt: "x", maxTokens: 27 });
    assert.equal(tooMuch.error?.code, "BUDGET_EXCEEDED");
  });

  it("a control plane killed mid-task gives the task's reservation back when it restarts", async () => {
    const sessionId = randomUUID();
    const budgets = { tokens: 2000 };
    const first = await submit(serve.orchestrator, {
      sessionId,
      prompt: "settled",
      maxTokens: 10,
      ignoreEos: true,
      budgets,
    });
    assert.equal(endOf(first)?.tokensOut, 10);
    const running = await startTask(
      serve.orchestrator,
      { sessionId, prompt: "cut short", maxTokens: 1500, ignoreEos: true },
      2,
    );
    assert.equal((await session(serve, sessionId)).tokensBudgetRemaining, 490);
    const exited = new Promise((resolve) => serve.child.once("exit", resolve));
    serve.child.kill("SIGKILL");
    await exited;
    await running.done;
    serve = await startServe({ config: sessionsConfig, dataDir });
    const restored = await session(serve, sessionId);
    assert.equal(restored.turns, 2);
    // No task outlives its control plane: what it held is free again, what was settled stays spent.
    assert.equal(restored.tokensBudgetRemaining, 1990);
  });
});
