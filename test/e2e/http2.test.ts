// HTTP/2 (h2c, prior knowledge) and HTTP/1.1 on the gateway's one port, against a real serve: the
// same answers, headers, SSE framing and error envelope on both, and a reset stream cancels its task.
import assert from "node:assert/strict";
import { type ClientHttp2Session, connect, type IncomingHttpHeaders } from "node:http2";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { type TaskRecord, TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { unary } from "../support/grpc-calls.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe, waitForLog } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request on the HTTP/2 session; resolves at the end of the response. */
function h2(
  session: ClientHttp2Session,
  method: string,
  path: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const stream = session.request({
      ":method": method,
      ":path": path,
      ...(body ? { "content-type": "application/json" } : {}),
      ...options.headers,
    });
    let headers: IncomingHttpHeaders = {};
    let text = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => {
      headers = h;
    });
    stream.on("data", (chunk: string) => {
      text += chunk;
    });
    stream.on("end", () => resolve({ status: Number(headers[":status"]), headers, text }));
    stream.on("error", reject);
    stream.end(body);
  });
}

function sseEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const parser = createParser({
    onEvent: (m) => events.push({ event: m.event ?? "message", data: JSON.parse(m.data) }),
  });
  parser.feed(text);
  return events;
}

describe("HTTP/2 and HTTP/1.1 on one port", () => {
  let serve: ServeProcess;
  let session: ClientHttp2Session;
  before(async () => {
    serve = await startServe({ config });
    session = connect(serve.http);
  });
  after(async () => {
    session?.close();
    await serve?.stop();
  });

  it("OC-CTRL-2025 answers the same JSON over HTTP/2 as over HTTP/1.1", async () => {
    const over2 = await h2(session, "GET", "/v1/capabilities", {
      headers: { "x-correlation-id": "corr-h2" },
    });
    const over1 = await call(serve, "GET", "/v1/capabilities");
    assert.equal(over2.status, 200);
    assert.equal(over2.headers["x-correlation-id"], "corr-h2");
    assert.deepEqual(JSON.parse(over2.text), over1.body);
    const line = await waitForLog(
      serve,
      (e) => e.msg === "http request" && e.correlation_id === "corr-h2",
    );
    assert.equal(line.identity, "localhost", "the caller's address is seen through HTTP/2");
  });

  it("OC-CTRL-2025 streams a task's SSE frames over HTTP/2, uncompressed", async () => {
    const admitted = await h2(session, "POST", "/v1/tasks", {
      json: { model_ref: "builtin:tiny", prompt: "two protocols", max_tokens: 6, ignore_eos: true },
    });
    assert.equal(admitted.status, 202, admitted.text);
    const taskId = JSON.parse(admitted.text).task_id as string;
    const stream = await h2(session, "GET", `/v1/tasks/${taskId}/stream`, {
      headers: { "accept-encoding": "gzip, br" },
    });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers["content-type"], "text/event-stream");
    assert.equal(stream.headers["content-encoding"], undefined);
    const names = sseEvents(stream.text).map((e) => e.event);
    assert.deepEqual(
      names.filter((n) => n !== "metrics"),
      ["started", ...Array(6).fill("token"), "end"],
    );
  });

  it("OC-CTRL-2025 an OpenAI streaming completion and an error envelope over HTTP/2", async () => {
    const body = { model: "builtin:tiny", prompt: "h2", max_tokens: 3, stream: true };
    const streamed = await h2(session, "POST", "/v1/completions", { json: body });
    assert.equal(streamed.status, 200);
    assert.match(streamed.text, /data: \[DONE\]\n\n$/);
    const missing = await h2(session, "GET", "/v1/nowhere");
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.text).code, "ROUTE_NOT_FOUND");
  });

  it("OC-CTRL-2025 SSE-1003 resetting the HTTP/2 stream cancels the task", async () => {
    const admitted = await h2(session, "POST", "/v1/tasks", {
      json: { model_ref: "builtin:tiny", prompt: "reset me", max_tokens: 3000, ignore_eos: true },
    });
    const taskId = JSON.parse(admitted.text).task_id as string;
    const stream = session.request({ ":path": `/v1/tasks/${taskId}/stream` });
    await new Promise<void>((resolve) => {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        if (chunk.includes("event: token")) resolve();
      });
    });
    stream.close();
    let record: TaskRecord | undefined;
    for (let tries = 0; tries < 80; tries++) {
      record = await unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb));
      if (record.state === TaskState.TASK_STATE_FINISHED_CANCELLED) break;
      await sleep(25);
    }
    assert.equal(record?.state, TaskState.TASK_STATE_FINISHED_CANCELLED);
    assert.ok(Number(record?.tokensOut) < 3000);
  });
});
