// What a full queue does, end to end (DESIGN decision 3): `reject` refuses the new task with
// retry advice; `drop-lru` admits it and ends the oldest batch task with QUEUE_FULL_DROP_LRU.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { FinishReason, Priority } from "../../src/gen/llama_orch/v1/common.js";
import {
  endOf,
  enqueue,
  errorOf,
  type RunningTask,
  read,
  startTask,
  submit,
} from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

function config(policy: "reject" | "drop-lru"): string {
  return `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
admission: { queue_capacity: 2, policy: ${policy} }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;
}

/** A task that holds the pool's only slot until it is cancelled. */
function holdSlot(serve: ServeProcess): Promise<RunningTask> {
  return startTask(serve.orchestrator, { prompt: "hold", maxTokens: 3000, ignoreEos: true });
}

async function release(hold: RunningTask): Promise<void> {
  hold.call.cancel();
  await hold.done;
}

describe("queue policy reject", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config: config("reject") });
  });
  after(() => serve?.stop());

  it("ORCH-3005 refuses a task once the queue is full, with ADMISSION_REJECT and retry_after_ms", async () => {
    const hold = await holdSlot(serve);
    assert.equal(hold.started?.poolId, "cpu-0");
    const queued = [
      await enqueue(serve.orchestrator, { prompt: "q1", maxTokens: 2 }),
      await enqueue(serve.orchestrator, { prompt: "q2", maxTokens: 2 }),
    ];
    assert.deepEqual(
      queued.map((a) => a.queuePosition),
      [0, 1],
    );
    const refused = await submit(serve.orchestrator, { prompt: "one too many", maxTokens: 2 });
    assert.ok(refused.error instanceof OrchError, "the submit call itself fails");
    assert.equal(refused.error.code, "ADMISSION_REJECT");
    assert.equal(refused.error.retriable, true);
    assert.ok(
      (refused.error.retryAfterMs ?? 0) > 0,
      `retry_after_ms: ${refused.error.retryAfterMs}`,
    );
    assert.deepEqual(refused.kinds, [], "nothing was admitted");

    const reads = queued.map((a) => read(serve.orchestrator.attach({ taskId: a.taskId })));
    await release(hold);
    for (const out of await Promise.all(reads)) {
      assert.equal(out.kinds.at(-1), "end", "the queued tasks still run");
    }
    // Room again: the same request is admitted now.
    const retried = await submit(serve.orchestrator, { prompt: "one too many", maxTokens: 2 });
    assert.equal(retried.error, undefined);
    assert.equal(retried.kinds.at(-1), "end");
  });
});

describe("queue policy drop-lru", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config: config("drop-lru") });
  });
  after(() => serve?.stop());

  it("ORCH-3904 admits the newest task and ends the oldest batch task with QUEUE_FULL_DROP_LRU", async () => {
    const hold = await holdSlot(serve);
    const batch = await enqueue(serve.orchestrator, {
      prompt: "old batch",
      maxTokens: 2,
      priority: Priority.PRIORITY_BATCH,
    });
    const interactive = await enqueue(serve.orchestrator, {
      prompt: "interactive",
      maxTokens: 2,
      priority: Priority.PRIORITY_INTERACTIVE,
    });
    const evicted = read(serve.orchestrator.attach({ taskId: batch.taskId }));
    const kept = read(serve.orchestrator.attach({ taskId: interactive.taskId }));
    const newest = submit(serve.orchestrator, { prompt: "newest", maxTokens: 2, ignoreEos: true });

    const dropped = await evicted;
    assert.deepEqual(dropped.kinds, ["admitted", "error"]);
    const error = errorOf(dropped);
    assert.equal(error?.code, "QUEUE_FULL_DROP_LRU");
    assert.equal(error?.retriable, true);
    assert.ok((error?.retryAfterMs ?? 0) > 0, `retry_after_ms: ${error?.retryAfterMs}`);
    assert.equal(error?.poolId, "cpu-0");

    await release(hold);
    const [keptOut, newestOut] = await Promise.all([kept, newest]);
    assert.equal(newestOut.error, undefined, "the newest task was admitted");
    assert.equal(newestOut.kinds[0], "admitted");
    assert.equal(endOf(newestOut)?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(keptOut.kinds.at(-1), "end", "the interactive task was not the one dropped");
  });

  it("ORCH-3904 drops the oldest interactive task when no batch task is queued", async () => {
    const hold = await holdSlot(serve);
    const first = await enqueue(serve.orchestrator, { prompt: "first", maxTokens: 2 });
    const second = await enqueue(serve.orchestrator, { prompt: "second", maxTokens: 2 });
    const firstRead = read(serve.orchestrator.attach({ taskId: first.taskId }));
    const secondRead = read(serve.orchestrator.attach({ taskId: second.taskId }));
    const newest = submit(serve.orchestrator, { prompt: "newest", maxTokens: 2, ignoreEos: true });
    assert.equal(errorOf(await firstRead)?.code, "QUEUE_FULL_DROP_LRU");
    await release(hold);
    const [secondOut, newestOut] = await Promise.all([secondRead, newest]);
    assert.equal(secondOut.kinds.at(-1), "end");
    assert.equal(newestOut.kinds.at(-1), "end");
  });
});
