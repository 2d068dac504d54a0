// Tasks end to end over real gRPC: a real `llama-orch serve` with a real worker on the tiny model.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { FinishReason, Priority } from "../../src/gen/llama_orch/v1/common.js";
import type {
  Admission,
  CancelResponse,
  Capabilities,
  OrchestratorClient,
  SessionInfo,
  TaskRecord,
} from "../../src/gen/llama_orch/v1/orchestrator.js";
import { TaskRequest, TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, kindOf, read, submit, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForLog } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
sessions: { max_turns: 2 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

function enqueue(client: OrchestratorClient, request: Partial<TaskRequest>): Promise<Admission> {
  return unary<Admission>((cb) => client.enqueue(TaskRequest.fromPartial(request), cb));
}

/** Starts a long task and resolves once it holds the pool's only slot. */
async function holdSlot(client: OrchestratorClient) {
  const call = client.submit(
    TaskRequest.fromPartial({ prompt: "hold", maxTokens: 3000, ignoreEos: true }),
  );
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = read(call, (e) => {
    if (kindOf(e) === "started") started();
  });
  await running;
  return { call, done };
}

describe("tasks over gRPC", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve.stop());

  it("streams admitted, started, tokens and end with consistent counts", async () => {
    const out = await submit(serve.orchestrator, {
      prompt: "Once upon a time",
      maxTokens: 12,
      ignoreEos: true,
    });
    assert.equal(out.error, undefined);
    assert.deepEqual(out.kinds.slice(0, 2), ["admitted", "started"]);
    assert.equal(out.kinds.at(-1), "end");
    const tokens = out.events.filter((e) => kindOf(e) === "token");
    assert.equal(tokens.length, 12);
    for (const [i, e] of tokens.entries()) {
      assert.equal(e.event?.$case === "token" && e.event.value.i, i);
    }
    const end = endOf(out);
    assert.equal(end?.tokensOut, 12);
    assert.equal(end?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(end?.decodeMs, end?.decodeTimeMs);
  });

  it("HME-030 logs admission, stream start and stream end with the task's fields, grouped by correlation id", async () => {
    const out = await submit(serve.orchestrator, {
      prompt: "Logged",
      maxTokens: 4,
      ignoreEos: true,
    });
    const admitted = out.events[0]?.event;
    assert.ok(admitted?.$case === "admitted");
    const taskId = admitted.value.taskId;
    const line = (msg: string) => waitForLog(serve, (l) => l.msg === msg && l.task_id === taskId);
    const [placed, start, end] = await Promise.all([
      line("task admitted"),
      line("stream start"),
      line("stream end"),
    ]);
    assert.equal(typeof placed.correlation_id, "string");
    assert.equal(start.correlation_id, placed.correlation_id);
    assert.equal(end.correlation_id, placed.correlation_id);
    for (const key of ["session_id", "pool_id", "seed", "queue_position"])
      assert.ok(key in placed, key);
    for (const key of ["engine_version", "model_digest", "seed"]) assert.ok(key in start, key);
    for (const key of ["tokens_in", "tokens_out", "decode_time_ms", "model_digest"])
      assert.ok(key in end, key);
    assert.equal(end.tokens_out, 4);
  });

  it("ORCH-3050 gives the same text for the same seed and records the task", async () => {
    const request = {
      prompt: "Seeded",
      maxTokens: 10,
      seed: 77,
      ignoreEos: true,
      sampling: { temperature: 0.9 },
    };
    const a = await submit(serve.orchestrator, { ...request, taskId: randomUUID() });
    const b = await submit(serve.orchestrator, request);
    assert.equal(a.text, b.text);
    const admitted = a.events[0]?.event;
    assert.ok(admitted?.$case === "admitted");
    const record = await unary<TaskRecord>((cb) =>
      serve.orchestrator.getTask({ taskId: admitted.value.taskId }, cb),
    );
    assert.equal(record.state, TaskState.TASK_STATE_FINISHED_LENGTH);
    assert.equal(record.tokensOut, 10);
    assert.equal(record.seed, 77);
    assert.match(record.modelDigest, /^[0-9a-f]{64}$/);
  });

  it("OC-CORE-1004 dispatches interactive ahead of batch, FIFO within a class", async () => {
    const { call: blocker, done: blocking } = await holdSlot(serve.orchestrator);
    const b1 = await enqueue(serve.orchestrator, {
      prompt: "b1",
      maxTokens: 2,
      priority: Priority.PRIORITY_BATCH,
    });
    const b2 = await enqueue(serve.orchestrator, {
      prompt: "b2",
      maxTokens: 2,
      priority: Priority.PRIORITY_BATCH,
    });
    const i1 = await enqueue(serve.orchestrator, {
      prompt: "i1",
      maxTokens: 2,
      priority: Priority.PRIORITY_INTERACTIVE,
    });
    assert.deepEqual([b1.queuePosition, b2.queuePosition, i1.queuePosition], [0, 1, 0]);
    const order: string[] = [];
    const watch = (a: Admission, name: string) =>
      read(serve.orchestrator.attach({ taskId: a.taskId }), (e) => {
        if (kindOf(e) === "started") order.push(name);
      });
    const reads = [watch(b1, "b1"), watch(b2, "b2"), watch(i1, "i1")];
    blocker.cancel();
    await blocking;
    await Promise.all(reads);
    assert.deepEqual(order, ["i1", "b1", "b2"]);
  });

  it("OC-CORE-1005 cancels a queued task: it ends cancelled without a token", async () => {
    const { call: blocker, done: blocking } = await holdSlot(serve.orchestrator);
    const queued = await enqueue(serve.orchestrator, { prompt: "queued", maxTokens: 5 });
    const reading = read(serve.orchestrator.attach({ taskId: queued.taskId }));
    const reply = await unary<CancelResponse>((cb) =>
      serve.orchestrator.cancel({ taskId: queued.taskId }, cb),
    );
    assert.equal(reply.cancelled, true);
    assert.equal(reply.state, TaskState.TASK_STATE_FINISHED_CANCELLED);
    const out = await reading;
    assert.deepEqual(out.kinds, ["admitted", "end"]);
    assert.equal(endOf(out)?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
    blocker.cancel();
    await blocking;
  });

  it("ORCH-3026 cancels a running task at random moments: no token after the cancel takes effect", async () => {
    for (let round = 0; round < 6; round++) {
      const stopAfter = Math.floor(Math.random() * 20);
      let taskId = "";
      let seen = 0;
      let reply: Promise<CancelResponse> | undefined;
      const cancel = () => {
        reply = unary<CancelResponse>((cb) => serve.orchestrator.cancel({ taskId }, cb));
      };
      const out = await submit(
        serve.orchestrator,
        { prompt: "cancel me", maxTokens: 2000, ignoreEos: true },
        (e) => {
          if (e.event?.$case === "admitted") {
            taskId = e.event.value.taskId;
            if (stopAfter === 0) cancel();
          }
          if (kindOf(e) === "token" && ++seen === stopAfter) cancel();
        },
      );
      const cancelled = await reply;
      assert.equal(cancelled?.cancelled, true);
      // Tokens already on the wire may arrive after the reply; none was sent after the cancel.
      assert.equal(seen, cancelled?.tokensDelivered);
      assert.ok(seen >= stopAfter);
      assert.equal(out.kinds.at(-1), "end");
      assert.equal(endOf(out)?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
    }
  });

  it("ORCH-3021 counts session turns and refuses the turn past max_turns", async () => {
    const sessionId = randomUUID();
    for (let turn = 1; turn <= 2; turn++) {
      const out = await submit(serve.orchestrator, {
        sessionId,
        prompt: `turn ${turn}`,
        maxTokens: 3,
      });
      assert.equal(out.error, undefined);
    }
    const info = await unary<SessionInfo>((cb) => serve.orchestrator.getSession({ sessionId }, cb));
    assert.equal(info.turns, 2);
    assert.equal(info.maxTurns, 2);
    assert.ok(info.ttlMsRemaining > 0 && info.ttlMsRemaining <= 600_000);
    const third = await submit(serve.orchestrator, { sessionId, prompt: "turn 3", maxTokens: 3 });
    assert.equal(third.error?.code, "SESSION_TURNS_EXCEEDED");
  });

  it("ORCH-3099 reserves session budgets atomically: concurrent tasks cannot overspend", async () => {
    const sessionId = randomUUID();
    const budgets = { tokens: 20 };
    const first = await submit(serve.orchestrator, {
      sessionId,
      prompt: "a",
      maxTokens: 8,
      ignoreEos: true,
      budgets,
    });
    assert.equal(first.error, undefined);
    const info = await unary<SessionInfo>((cb) => serve.orchestrator.getSession({ sessionId }, cb));
    assert.equal(info.tokensBudgetRemaining, 12);
    const second = await submit(serve.orchestrator, {
      sessionId,
      prompt: "b",
      maxTokens: 13,
      budgets,
    });
    assert.equal(second.error?.code, "BUDGET_EXCEEDED");
  });

  it("reports capabilities from the live pool", async () => {
    const caps = await unary<Capabilities>((cb) => serve.orchestrator.getCapabilities({}, cb));
    assert.equal(caps.apiVersion, "1.0.0");
    const engine = caps.engines[0];
    assert.equal(engine?.engine, "llamacpp");
    assert.equal(engine?.ctxMax, 4096);
    assert.equal(engine?.slotsTotal, 1);
    assert.deepEqual(engine?.models, ["builtin:tiny"]);
    assert.match(engine?.engineVersion ?? "", /^[0-9a-f]{40}$/);
  });

  it("404s unknown sessions and tasks", async () => {
    await assert.rejects(
      unary((cb) => serve.orchestrator.getSession({ sessionId: randomUUID() }, cb)),
      { code: "SESSION_NOT_FOUND" },
    );
    await assert.rejects(
      unary((cb) => serve.orchestrator.cancel({ taskId: randomUUID() }, cb)),
      { code: "TASK_NOT_FOUND" },
    );
  });
});
