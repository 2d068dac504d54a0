// Regression tests for defects found by trying to break a running `serve` over HTTP (issue 14):
// each sends what broke it and asserts the clean answer a client sees now.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, symlink } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ClientDuplexStream,
  credentials,
  loadPackageDefinition,
  type ServiceClientConstructor,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { createParser } from "eventsource-parser";
import { fetch, type Response } from "undici";
import { repoRoot } from "../../src/common/paths.js";
import type { TaskRecord } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { startTask, unary } from "../support/grpc-calls.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe, waitReady } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
admission: { queue_capacity: 16 }
sessions: { default_budgets: { tokens: 100000 } }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

async function admit(serve: ServeProcess, body: Record<string, unknown>): Promise<string> {
  const answer = await call(serve, "POST", "/v1/tasks", {
    json: { model_ref: "builtin:tiny", ...body },
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return String(answer.body?.task_id);
}

/** Sends a stream request on a raw socket and closes it `afterMs` later, before any answer. */
function openAndDrop(serve: ServeProcess, taskId: string, afterMs: number): Promise<void> {
  const url = new URL(serve.http);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET /v1/tasks/${taskId}/stream HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      setTimeout(() => socket.destroy(), afterMs);
    });
    socket.on("close", () => resolve());
    socket.on("error", () => undefined);
  });
}

/** The service names the control plane's reflection lists (what grpcurl `list` shows). */
function reflectedServices(address: string): Promise<string[]> {
  const proto = join(repoRoot, "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1");
  const definition = loadSync(join(proto, "reflection.proto"));
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo?.call(client) as ClientDuplexStream<object, object>;
    stream.on("data", (reply: { listServicesResponse?: { service: { name: string }[] } }) => {
      resolve((reply.listServicesResponse?.service ?? []).map((s) => s.name));
      stream.end();
      client.close();
    });
    stream.on("error", reject);
    stream.write({ listServices: "*" });
  });
}

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a task's SSE stream to its end, calling `onFrame` per event. */
async function readFrames(serve: ServeProcess, taskId: string, onFrame: (f: Frame) => void) {
  const frames: Frame[] = [];
  const parser = createParser({
    onEvent: (m) => {
      const frame = { event: m.event ?? "message", data: JSON.parse(m.data) };
      frames.push(frame);
      onFrame(frame);
    },
  });
  const res = await fetch(`${serve.http}/v1/tasks/${taskId}/stream`);
  const decoder = new TextDecoder();
  for await (const chunk of res.body ?? []) parser.feed(decoder.decode(chunk, { stream: true }));
  return frames;
}

async function record(serve: ServeProcess, taskId: string): Promise<TaskRecord> {
  return unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb));
}

describe("hardening: what broke a running serve", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve?.stop());

  it("SSE-1003 a client gone within ms of asking for a queued task's stream cancels it", async () => {
    const hold = await startTask(serve.orchestrator, {
      prompt: "hold",
      maxTokens: 3000,
      ignoreEos: true,
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await admit(serve, { prompt: `q${i}`, max_tokens: 50 }));
    await Promise.all(ids.map((id, i) => openAndDrop(serve, id, i % 3)));
    for (const id of ids) {
      let state = TaskState.TASK_STATE_QUEUED;
      for (
        let tries = 0;
        tries < 100 && state !== TaskState.TASK_STATE_FINISHED_CANCELLED;
        tries++
      ) {
        state = (await record(serve, id)).state;
        if (state !== TaskState.TASK_STATE_FINISHED_CANCELLED) await sleep(50);
      }
      assert.equal(
        state,
        TaskState.TASK_STATE_FINISHED_CANCELLED,
        `task ${ids.indexOf(id)} left running`,
      );
    }
    hold.call.cancel();
    await hold.done;
    assert.ok(
      serve.logs.some((l) => l.msg === "sse client gone; cancelling its task"),
      "the disconnect is logged",
    );
  });

  it("OC-CTRL-2034 out-of-range integers are 400 INVALID_PARAMS naming the field, never 500", async () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
      ["POST", "/v1/tasks", { prompt: "x", max_tokens: 1e308 }, "max_tokens"],
      ["POST", "/v1/tasks", { prompt: "x", max_tokens: 9007199254740994 }, "max_tokens"],
      ["POST", "/v1/tasks", { prompt: "x", max_tokens: 2, seed: 2 ** 64 }, "seed"],
      ["POST", "/v1/tasks", { prompt: "x", max_tokens: 2, deadline_ms: 1e300 }, "deadline_ms"],
      ["POST", "/v1/pools/cpu-0/drain", { deadline_ms: 9007199254740992 }, "deadline_ms"],
      ["POST", "/v1/pools/cpu-0/purge", { deadline_ms: 9007199254740992 }, "deadline_ms"],
    ];
    for (const [method, path, body, field] of cases) {
      const json = path === "/v1/tasks" ? { model_ref: "builtin:tiny", ...body } : body;
      const answer = await call(serve, method as "POST", path, { json });
      const what = `${path} ${JSON.stringify(body)}`;
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body?.code, "INVALID_PARAMS", what);
      assert.match(String(answer.body?.message), new RegExp(field), what);
    }
    const health = await call(serve, "GET", "/v1/pools/cpu-0/health");
    assert.equal(health.body?.draining, false, "no refused drain took effect");
  });

  it("OC-CTRL-2012 body-less POSTs accept an empty body whatever its content type", async () => {
    const id = await admit(serve, { prompt: "empty body", max_tokens: 2000, ignore_eos: true });
    const types = ["application/json", "text/plain", "application/x-www-form-urlencoded"];
    for (const type of types) {
      const answer = await call(serve, "POST", `/v1/tasks/${id}/cancel`, {
        raw: "",
        headers: { "content-type": type },
      });
      assert.equal(answer.status, 204, `${type}: ${JSON.stringify(answer.body)}`);
    }
    const headers = { "content-type": "application/json" };
    const purge = await call(serve, "POST", "/v1/pools/cpu-0/purge", { raw: "", headers });
    assert.equal(purge.status < 300, true, JSON.stringify(purge.body));
    const verify = await call(serve, "POST", "/v1/catalog/models/nope/verify", {
      raw: "",
      headers,
    });
    assert.equal(verify.body?.code, "CATALOG_ENTRY_NOT_FOUND", JSON.stringify(verify.body));
    const missing = await call(serve, "POST", "/v1/tasks", { raw: "", headers });
    assert.equal(missing.status, 400, "a route that needs a body still says so");
    assert.equal(missing.body?.code, "INVALID_PARAMS");
    await waitReady(serve.pools); // the purge started a fresh worker
  });

  it("reflection lists only the services the control plane answers", async () => {
    const names = await reflectedServices(serve.address);
    assert.ok(names.includes("llama_orch.v1.Orchestrator"), names.join(", "));
    assert.ok(!names.includes("llama_orch.v1.Worker"), names.join(", "));
  });

  it("ORCH-2006 maps a bad body once: native, OpenAI and Anthropic answer the same status and message, each in its shape", async () => {
    const oversized = JSON.stringify({
      model: "builtin:tiny",
      prompt: "a".repeat(3 * 1024 * 1024),
    });
    const cases = [
      { raw: '{"model": "builtin:tiny", "max_tokens": ', status: 400, code: "INVALID_PARAMS" },
      { raw: oversized, status: 413, code: "PAYLOAD_TOO_LARGE" },
    ];
    for (const { raw, status, code } of cases) {
      const native = await call(serve, "POST", "/v1/tasks", { raw });
      const openai = await call(serve, "POST", "/v1/chat/completions", { raw });
      const anthropic = await call(serve, "POST", "/v1/messages", { raw });
      assert.equal(native.status, status, JSON.stringify(native.body));
      assert.equal(native.body?.code, code);
      assert.equal(typeof native.body?.message, "string");
      assert.equal(typeof native.body?.retriable, "boolean");
      assert.ok(native.headers["x-correlation-id"], "every answer carries its correlation id");
      const message = String(native.body?.message);
      if (status === 413) assert.match(message, /send a shorter prompt/);
      const openaiError = openai.body?.error as Record<string, unknown> | undefined;
      assert.equal(openai.status, status, JSON.stringify(openai.body));
      assert.equal(openaiError?.code, code);
      assert.equal(openaiError?.message, message);
      const anthropicError = anthropic.body?.error as Record<string, unknown> | undefined;
      assert.equal(anthropic.status, status, JSON.stringify(anthropic.body));
      assert.equal(anthropic.body?.type, "error");
      assert.equal(anthropicError?.message, `${code}: ${message}`);
    }
  });

  it("ORCH-2003 after a cancel, end.tokens_out and the budget charge count only delivered tokens", async () => {
    const sessionId = randomUUID();
    const taskId = await admit(serve, {
      prompt: "count me",
      max_tokens: 2000,
      ignore_eos: true,
      session_id: sessionId,
    });
    let cancel: Promise<Response> | undefined;
    const frames = await readFrames(serve, taskId, (f) => {
      if (f.event === "token" && f.data.i === 5) {
        cancel = fetch(`${serve.http}/v1/tasks/${taskId}/cancel`, { method: "POST" });
      }
    });
    const delivered = Number((await cancel)?.headers.get("x-tokens-delivered"));
    const tokens = frames.filter((f) => f.event === "token").length;
    const end = frames.at(-1);
    assert.equal(end?.data.finish_reason, "cancelled");
    assert.equal(tokens, delivered);
    assert.equal(end?.data.tokens_out, delivered);
    const session = await call(serve, "GET", `/v1/sessions/${sessionId}`);
    assert.equal(session.body?.tokens_budget_remaining, 100000 - delivered);
  });

  it("ORCH-3060 the catalog reads no local file outside the model directories, nor echoes its digest", async () => {
    const zeros = `sha256:${"0".repeat(64)}`;
    const dir = join(serve.dataDir, "models");
    await mkdir(dir, { recursive: true });
    await symlink("/etc/hostname", join(dir, "escape.gguf"));
    const probes = ["/etc/shadow", "/etc/hostname", "/nonexistent", `${dir}/../config.yaml`];
    for (const source of [...probes, join(dir, "escape.gguf")]) {
      const json = { id: "p", digest: zeros, source_url: source };
      const answer = await call(serve, "POST", "/v1/catalog/models", { json });
      assert.equal(answer.status, 400, `${source}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body?.code, "INVALID_PARAMS");
      assert.match(String(answer.body?.message), /outside the model directories/);
      const digests = JSON.stringify(answer.body).match(/[0-9a-f]{64}/g) ?? [];
      assert.deepEqual(digests, [], `no digest in the answer for ${source}`);
    }
  });
});
