// Tokens in the engine's grain through a real `llama-orch serve` (tiny model): a lagging reader gets
// every token once, in order, in fewer messages and writes than tokens; a cancel's counts agree.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import type { Token } from "../../src/gen/llama_orch/v1/common.js";
import {
  type OrchestratorClient,
  PlacementOverrides,
  type TaskEvent,
  TaskRequest,
  TaskState,
} from "../../src/gen/llama_orch/v1/orchestrator.js";
import { read, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitReady } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
streams: { metrics_ms: 60000 }
pools:
  # Every step as it comes: what coalesces here is what a lagging reader left behind.
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 2048, threads: 1,
      stream_interval_ms: 0 }
  - { id: paced, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 2048, threads: 1,
      stream_interval_ms: 300 }
`;

function tokensIn(event: TaskEvent): Token[] {
  const e = event.event;
  if (e?.$case === "tokens") return e.value.tokens;
  return e?.$case === "token" ? [e.value] : [];
}

async function waitEnded(client: OrchestratorClient, taskId: string): Promise<void> {
  // Generous: a loaded 2-core machine may take minutes; the caller resumes reading either way.
  for (let tries = 0; tries < 3000; tries++) {
    const record = await unary<{ state: TaskState }>((cb) => client.getTask({ taskId }, cb));
    if (record.state >= TaskState.TASK_STATE_FINISHED_STOP) return;
    await sleep(100);
  }
  throw new Error(`task ${taskId} did not end`);
}

/** One HTTP/1.1 response read off a raw socket: its body's chunks (one per server write), in order. */
function rawChunks(http: string, path: string, pauseUntil?: Promise<void>): Promise<string[]> {
  const url = new URL(http);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let buffer = Buffer.alloc(0);
    socket.on("data", (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (pauseUntil) {
        socket.pause();
        pauseUntil.finally(() => socket.resume()).catch(reject);
        pauseUntil = undefined;
      }
    });
    socket.on("error", reject);
    socket.on("end", () => resolve(dechunk(buffer.toString("utf8"))));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  });
}

/** The chunks of a chunked body, each as the server wrote it. */
function dechunk(response: string): string[] {
  let rest = response.slice(response.indexOf("\r\n\r\n") + 4);
  const chunks: string[] = [];
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return chunks;
    const bytes = Buffer.from(rest.slice(eol + 2), "utf8");
    const chunk = bytes.subarray(0, size).toString("utf8");
    chunks.push(chunk);
    rest = bytes.subarray(size + 2).toString("utf8");
  }
}

function tokenFrames(chunk: string): { t: string; i: number }[] {
  return [...chunk.matchAll(/event: token\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1] ?? ""));
}

const unpaced = PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: "cpu-0" });

describe("token batches end to end (DESIGN 13)", { timeout: 600_000 }, () => {
  let serve: ServeProcess;

  before(async () => {
    serve = await startServe({ config });
    await waitReady(serve.pools);
  });

  after(async () => {
    await serve?.stop();
  });

  it("a gRPC caller that stops reading gets every token once, in order, in fewer messages than tokens", async () => {
    const maxTokens = 400;
    // Logprobs make each token ~0.3 KB on the wire, so the stream's flow-control window fills
    // while the caller is paused and the control plane has to coalesce what queues behind it.
    const call = serve.orchestrator.submit(
      TaskRequest.fromPartial({
        prompt: "a slow reader",
        maxTokens,
        ignoreEos: true,
        sampling: { logprobs: 20 },
        tokenBatches: true,
        placement: unpaced,
      }),
    );
    let taskId = "";
    let ended: Promise<void> | undefined;
    const streamed = read(call, (event) => {
      if (event.event?.$case !== "admitted") return;
      taskId = event.event.value.taskId;
      call.pause();
      ended = waitEnded(serve.orchestrator, taskId).finally(() => {
        call.resume();
      });
    });
    const out = await streamed;
    await ended;
    const messages = out.events.filter((e) => tokensIn(e).length > 0);
    const indexes = messages.flatMap(tokensIn).map((t) => t.i);
    assert.deepEqual(
      indexes,
      Array.from({ length: maxTokens }, (_, i) => i),
    );
    assert.ok(messages.length < maxTokens, `${messages.length} messages for ${maxTokens} tokens`);
    assert.equal(out.kinds.at(-1), "end");
    const end = out.events.at(-1)?.event;
    assert.equal(end?.$case === "end" && end.value.tokensOut, maxTokens);
  });

  it("an HTTP reader that pauses, and one that arrives late, get contiguous tokens in fewer writes than tokens", async () => {
    const maxTokens = 300;
    const admit = async () => {
      const res = await request(`${serve.http}/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model_ref: "builtin:tiny",
          prompt: "pause",
          max_tokens: maxTokens,
          ignore_eos: true,
          placement: { mode: "pin", pin_pool_id: "cpu-0" },
        }),
      });
      assert.equal(res.statusCode, 202);
      return ((await res.body.json()) as { task_id: string }).task_id;
    };
    const paused = await admit();
    const resumeAt = waitEnded(serve.orchestrator, paused);
    const pausedChunks = await rawChunks(serve.http, `/v1/tasks/${paused}/stream`, resumeAt);
    const late = await admit();
    await waitEnded(serve.orchestrator, late);
    const lateChunks = await rawChunks(serve.http, `/v1/tasks/${late}/stream`);
    for (const chunks of [pausedChunks, lateChunks]) {
      const frames = chunks.flatMap(tokenFrames);
      assert.deepEqual(
        frames.map((f) => f.i),
        Array.from({ length: maxTokens }, (_, i) => i),
      );
      const end = /event: end\ndata: (.*)\n\n/.exec(chunks.join(""))?.[1];
      assert.equal(JSON.parse(end ?? "{}").tokens_out, maxTokens);
    }
    // A late reader's replay is batched: the tokens between two other events (a `metrics` frame,
    // at most one a minute here) go in one write.
    const tokenWrites = lateChunks.filter((c) => tokenFrames(c).length > 0).length;
    const others = lateChunks.join("").match(/event: metrics\n/g)?.length ?? 0;
    assert.ok(tokenWrites <= others + 1, `${tokenWrites} writes, ${others} metrics frames`);
    assert.ok(tokenWrites <= 2, `${tokenWrites} writes for ${maxTokens} tokens`);
  });

  it("a pool's stream_interval_ms sends the first token alone, then what each interval made, all of it in order", async () => {
    const maxTokens = 200;
    const call = serve.orchestrator.submit(
      TaskRequest.fromPartial({
        prompt: "paced",
        maxTokens,
        ignoreEos: true,
        tokenBatches: true,
        placement: PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: "paced" }),
      }),
    );
    const out = await read(call);
    const messages = out.events.map(tokensIn).filter((tokens) => tokens.length > 0);
    assert.deepEqual(
      messages.flat().map((t) => t.i),
      Array.from({ length: maxTokens }, (_, i) => i),
    );
    assert.deepEqual(
      messages[0]?.map((t) => t.i),
      [0],
      "the first token does not wait for the interval",
    );
    // tiny makes a token in about a millisecond; 300 ms hold many of them in each later message.
    assert.ok(messages.length < maxTokens / 10, `${messages.length} messages for ${maxTokens}`);
    const end = out.events.at(-1)?.event;
    assert.equal(end?.$case === "end" && end.value.tokensOut, maxTokens);
  });

  it("ORCH-2003 after a gRPC cancel, the tokens received, tokens_delivered and end.tokens_out agree", async () => {
    const call = serve.orchestrator.submit(
      TaskRequest.fromPartial({
        prompt: "cancel me",
        maxTokens: 1500,
        ignoreEos: true,
        tokenBatches: true,
        placement: unpaced,
      }),
    );
    let taskId = "";
    let received = 0;
    let cancelled: Promise<{ tokensDelivered: number }> | undefined;
    const out = await read(call, (event) => {
      if (event.event?.$case === "admitted") taskId = event.event.value.taskId;
      received += tokensIn(event).length;
      if (received >= 5 && !cancelled) {
        cancelled = unary((cb) => serve.orchestrator.cancel({ taskId }, cb));
      }
    });
    const reply = await cancelled;
    const end = out.events.at(-1)?.event;
    assert.equal(end?.$case, "end");
    assert.ok(received < 1500, "the cancel stopped the task");
    assert.equal(reply?.tokensDelivered, received);
    assert.equal(end?.$case === "end" && end.value.tokensOut, received);
    // The task's record is written after its end reached the stream: wait for it.
    let record = { tokensOut: -1, state: TaskState.TASK_STATE_UNSPECIFIED };
    for (
      let tries = 0;
      tries < 100 && record.state !== TaskState.TASK_STATE_FINISHED_CANCELLED;
      tries++
    ) {
      if (tries > 0) await sleep(100);
      record = await unary((cb) => serve.orchestrator.getTask({ taskId }, cb));
    }
    assert.equal(record.tokensOut, received);
  });
});
