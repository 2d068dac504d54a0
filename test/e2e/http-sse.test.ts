// Task streams over real HTTP SSE, parsed independently with eventsource-parser, against a real
// `llama-orch serve` on the tiny model under the drop-lru queue policy.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { fetch, type Response, request } from "undici";
import type { TaskRecord } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { type RunningTask, startTask, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
admission: { queue_capacity: 2, policy: drop-lru }
streams: { metrics_ms: 10 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

interface Stream {
  status: number;
  headers: Headers;
  frames: Frame[];
  comments: number;
}

/** POSTs a task; returns its id. */
async function admit(serve: ServeProcess, body: Record<string, unknown>): Promise<string> {
  const res = await request(`${serve.http}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model_ref: "builtin:tiny", ...body }),
  });
  const json = (await res.body.json()) as { task_id: string };
  assert.equal(res.statusCode, 202, JSON.stringify(json));
  return json.task_id;
}

/** Reads a task's SSE stream to its end (or until `signal` aborts), calling `onFrame` per event. */
async function readStream(
  serve: ServeProcess,
  taskId: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal; onFrame?: (f: Frame) => void },
): Promise<Stream> {
  const res = await fetch(`${serve.http}/v1/tasks/${taskId}/stream`, {
    headers: options.headers,
    signal: options.signal,
  });
  const out: Stream = { status: res.status, headers: res.headers, frames: [], comments: 0 };
  const parser = createParser({
    onEvent: (message) => {
      const frame = { event: message.event ?? "message", data: JSON.parse(message.data) };
      out.frames.push(frame);
      options.onFrame?.(frame);
    },
    onComment: () => {
      out.comments++;
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body ?? []) parser.feed(decoder.decode(chunk, { stream: true }));
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  }
  return out;
}

function tokensOf(stream: Stream): Frame[] {
  return stream.frames.filter((f) => f.event === "token");
}

function holdSlot(serve: ServeProcess): Promise<RunningTask> {
  return startTask(serve.orchestrator, { prompt: "hold", maxTokens: 3000, ignoreEos: true });
}

async function release(hold: RunningTask): Promise<void> {
  hold.call.cancel();
  await hold.done;
}

describe("task streams over SSE", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config: `${config}gateway: { sse_keepalive_ms: 50 }\n` });
  });
  after(() => serve?.stop());

  it("ORCH-2002 OC-CTRL-2020 OC-CTRL-2021 OC-CTRL-2022 OC-CTRL-2027 SSE-1002 streams started, token*, metrics*, end with consistent counts", async () => {
    const taskId = await admit(serve, { prompt: "Once upon a time", max_tokens: 12 });
    const stream = await readStream(serve, taskId, { headers: { "x-correlation-id": "corr-sse" } });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get("content-type"), "text/event-stream");
    assert.equal(stream.headers.get("cache-control"), "no-cache");
    assert.equal(stream.headers.get("x-accel-buffering"), "no");
    assert.equal(stream.headers.get("x-correlation-id"), "corr-sse");
    assert.equal(stream.headers.get("content-encoding"), null);
    const names = stream.frames.map((f) => f.event);
    assert.equal(names[0], "started");
    assert.equal(names.at(-1), "end");
    assert.match(names.join(" "), /^started( token| metrics)* end$/);
    const started = stream.frames[0]?.data;
    assert.equal(started?.pool_id, "cpu-0");
    assert.equal(typeof started?.queue_position, "number");
    assert.equal(typeof started?.predicted_start_ms, "number");
    const tokens = tokensOf(stream);
    for (const [i, t] of tokens.entries()) {
      assert.equal(t.data.i, i);
      assert.equal(typeof t.data.t, "string");
    }
    const end = stream.frames.at(-1)?.data;
    assert.equal(end?.tokens_out, tokens.length);
    assert.ok(Number(end?.tokens_in) > 0);
    assert.equal(end?.decode_ms, end?.decode_time_ms);
    assert.ok(end?.finish_reason === "length" || end?.finish_reason === "stop");
  });

  it("ORCH-2002 OC-CTRL-2021 started carries the queue figures at start, not those at admission", async () => {
    const hold = await holdSlot(serve);
    await admit(serve, { prompt: "first in line", max_tokens: 2 });
    const res = await request(`${serve.http}/v1/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model_ref: "builtin:tiny", prompt: "second in line", max_tokens: 2 }),
    });
    const admitted = (await res.body.json()) as Record<string, unknown>;
    assert.equal(admitted.queue_position, 1);
    assert.ok(Number(admitted.predicted_start_ms) > 0, JSON.stringify(admitted));
    const stream = readStream(serve, String(admitted.task_id), {});
    await release(hold);
    const started = (await stream).frames[0];
    assert.equal(started?.event, "started");
    assert.equal(started?.data.queue_position, 0);
    assert.equal(started?.data.predicted_start_ms, 0);
  });

  it("ORCH-2002 ignore_eos streams exactly max_tokens where the model would have stopped", async () => {
    // Seed 104 on this prompt, default sampling, samples an end-of-generation token after 37 tokens.
    const body = { prompt: "The river", max_tokens: 64, seed: 104 };
    const natural = await readStream(serve, await admit(serve, body), {});
    assert.equal(natural.frames.at(-1)?.data.finish_reason, "stop");
    const forced = await readStream(serve, await admit(serve, { ...body, ignore_eos: true }), {});
    assert.equal(tokensOf(forced).length, 64);
    assert.equal(forced.frames.at(-1)?.data.finish_reason, "length");
  });

  it("OC-CTRL-2034 answers an unknown task with 404 and a bad query with 400, before any stream", async () => {
    const res = await request(`${serve.http}/v1/tasks/${randomUUID()}/stream`);
    const body = (await res.body.json()) as Record<string, unknown>;
    assert.equal(res.statusCode, 404);
    assert.equal(body.code, "TASK_NOT_FOUND");
    assert.match(String(res.headers["content-type"]), /application\/json/);
    assert.equal(typeof res.headers["x-correlation-id"], "string");
    const taskId = await admit(serve, { prompt: "v", max_tokens: 2 });
    const bad = await request(`${serve.http}/v1/tasks/${taskId}/stream?verbose=yes`);
    assert.equal(bad.statusCode, 400);
    assert.equal(((await bad.body.json()) as Record<string, unknown>).code, "INVALID_PARAMS");
    const verbose = await request(`${serve.http}/v1/tasks/${taskId}/stream?verbose=true`);
    assert.equal(verbose.statusCode, 200);
    assert.match(await verbose.body.text(), /event: end\n/);
  });

  it("OC-CTRL-2012 ORCH-2003 cancels mid-stream: no token beyond X-Tokens-Delivered, then end cancelled", async () => {
    const taskId = await admit(serve, { prompt: "cancel me", max_tokens: 2000, ignore_eos: true });
    let cancel: Promise<Response> | undefined;
    const stream = await readStream(serve, taskId, {
      onFrame: (f) => {
        if (f.event === "token" && f.data.i === 5) {
          cancel = fetch(`${serve.http}/v1/tasks/${taskId}/cancel`, { method: "POST" });
        }
      },
    });
    const reply = await cancel;
    assert.equal(reply?.status, 204);
    // Tokens on the wire before the reply may still arrive; none was sent after the cancel.
    assert.equal(tokensOf(stream).length, Number(reply?.headers.get("x-tokens-delivered")));
    const end = stream.frames.at(-1);
    assert.equal(end?.event, "end");
    assert.equal(end?.data.finish_reason, "cancelled");
  });

  it("SSE-1003 a client that disconnects cancels its task", async () => {
    const taskId = await admit(serve, { prompt: "walk away", max_tokens: 2000, ignore_eos: true });
    const abort = new AbortController();
    await readStream(serve, taskId, {
      signal: abort.signal,
      onFrame: (f) => {
        if (f.event === "token" && f.data.i === 3) abort.abort();
      },
    });
    let record: TaskRecord | undefined;
    for (let tries = 0; tries < 40; tries++) {
      record = await unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb));
      if (record.state === TaskState.TASK_STATE_FINISHED_CANCELLED) break;
      await sleep(25);
    }
    assert.equal(record?.state, TaskState.TASK_STATE_FINISHED_CANCELLED);
    assert.ok(Number(record?.tokensOut) < 2000);
  });

  it("OC-CTRL-2030 OC-CTRL-2028 OC-CTRL-2029 OC-CTRL-2031 OC-CTRL-2032 ends an evicted task's stream with a terminal QUEUE_FULL_DROP_LRU error", async () => {
    const hold = await holdSlot(serve);
    const batch = await admit(serve, { prompt: "old batch", max_tokens: 2, priority: "batch" });
    await admit(serve, { prompt: "interactive", max_tokens: 2 });
    const evicted = readStream(serve, batch, {});
    await sleep(150);
    await admit(serve, { prompt: "newest", max_tokens: 2 });
    const stream = await evicted;
    assert.equal(stream.status, 200);
    assert.ok(stream.comments > 0, "keep-alive comments while queued");
    assert.deepEqual(
      stream.frames.map((f) => f.event),
      ["error"],
    );
    const error = stream.frames[0]?.data;
    assert.equal(error?.code, "QUEUE_FULL_DROP_LRU");
    assert.equal(error?.retriable, true);
    assert.ok(Number(error?.retry_after_ms) > 0);
    assert.equal(error?.engine, "llamacpp");
    assert.equal(error?.pool_id, "cpu-0");
    await release(hold);
  });

  it("HME-021 metrics frames carry queue_depth and on_time_probability, after the first token", async () => {
    const taskId = await admit(serve, { prompt: "metrics please", max_tokens: 400, seed: 7 });
    const stream = await readStream(serve, taskId, {});
    const names = stream.frames.map((f) => f.event);
    const metrics = stream.frames.filter((f) => f.event === "metrics");
    assert.ok(metrics.length >= 1, `no metrics frame in ${names.length} frames`);
    assert.ok(names.indexOf("metrics") > names.indexOf("token"));
    for (const frame of metrics) {
      assert.equal(typeof frame.data.queue_depth, "number");
      const p = Number(frame.data.on_time_probability);
      assert.ok(p >= 0 && p <= 1, `on_time_probability ${p}`);
    }
  });

  it("SSE-1001 a slow reader still gets every token, in order", async () => {
    const taskId = await admit(serve, { prompt: "slow reader", max_tokens: 400 });
    const res = await request(`${serve.http}/v1/tasks/${taskId}/stream`);
    await sleep(500);
    const frames: Frame[] = [];
    const parser = createParser({
      onEvent: (m) => frames.push({ event: m.event ?? "", data: JSON.parse(m.data) }),
    });
    for await (const chunk of res.body) parser.feed(chunk.toString());
    const tokens = frames.filter((f) => f.event === "token");
    assert.deepEqual(
      tokens.map((t) => t.data.i),
      tokens.map((_, i) => i),
    );
    assert.equal(frames.at(-1)?.data.tokens_out, tokens.length);
  });
});
