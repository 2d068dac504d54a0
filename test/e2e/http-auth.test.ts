// The auth matrix (SPEC section 11, DESIGN decision 1) against a real `llama-orch serve` started
// with AUTH_TOKEN: HTTP 401s, AUTH_OPTIONAL on loopback, identity breadcrumbs in the log, gRPC
// UNAUTHENTICATED.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { credentials, InterceptingCall, type ServiceError, status } from "@grpc/grpc-js";
import { request } from "undici";
import { sendBearer } from "../../src/common/grpc-auth.js";
import { type Capabilities, OrchestratorClient } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe, waitForLog } from "../support/serve-process.js";

const TOKEN = "secret-token-123";
const FP6 = createHash("sha256").update(TOKEN).digest("hex").slice(0, 6);

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const task = { model_ref: "builtin:tiny", prompt: "Hello", max_tokens: 2 };

/** GetCapabilities over gRPC; resolves with the ServiceError instead of rejecting. */
function capabilities(client: OrchestratorClient): Promise<ServiceError | Capabilities> {
  return new Promise((resolve) => {
    client.getCapabilities({}, (error, reply) => resolve(error ?? reply));
  });
}

describe("auth with AUTH_TOKEN set", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config, env: { AUTH_TOKEN: TOKEN }, token: TOKEN });
  });
  after(() => serve?.stop());

  it("AUTH-1001 no Authorization header: 401 40101 MISSING_TOKEN with a correlation id", async () => {
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: task,
      headers: { "x-correlation-id": "corr-missing" },
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.body?.code, 40101);
    assert.equal(answer.body?.message, "MISSING_TOKEN");
    assert.equal(answer.headers["x-correlation-id"], "corr-missing");
    const generated = await call(serve, "GET", "/v1/capabilities");
    assert.equal(generated.status, 401);
    assert.ok(String(generated.headers["x-correlation-id"]).length > 0);
  });

  it("AUTH-1001 AUTH-1007 a wrong token: 401 40102 BAD_TOKEN", async () => {
    for (const headers of [bearer("secret-token-124"), bearer("x"), { authorization: TOKEN }]) {
      const answer = await call(serve, "POST", "/v1/tasks", { json: task, headers });
      assert.equal(answer.status, 401, JSON.stringify(headers));
      assert.equal(answer.body?.code, 40102);
      assert.equal(answer.body?.message, "BAD_TOKEN");
    }
  });

  it("AUTH-1001 the right token: 202 on enqueue, 200 on reads", async () => {
    const admitted = await call(serve, "POST", "/v1/tasks", { json: task, headers: bearer(TOKEN) });
    assert.equal(admitted.status, 202, JSON.stringify(admitted.body));
    const caps = await call(serve, "GET", "/v1/capabilities", { headers: bearer(TOKEN) });
    assert.equal(caps.status, 200, JSON.stringify(caps.body));
  });

  it("AUTH-1008 request logs carry identity token:<fp6> and never the token", async () => {
    await call(serve, "GET", "/v1/capabilities?x=1", {
      headers: { ...bearer(TOKEN), "x-correlation-id": "corr-identity" },
    });
    const line = await waitForLog(
      serve,
      (e) => e.msg === "http request" && e.correlation_id === "corr-identity",
    );
    assert.equal(line.identity, `token:${FP6}`);
    assert.equal(line.method, "GET");
    assert.equal(line.url, "/v1/capabilities");
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, "number");
    const admitted = await call(serve, "POST", "/v1/tasks", { json: task, headers: bearer(TOKEN) });
    const stream = await request(`${serve.http}/v1/tasks/${admitted.body?.task_id}/stream`, {
      headers: { ...bearer(TOKEN), "x-correlation-id": "corr-stream" },
    });
    await stream.body.text();
    const streamed = await waitForLog(
      serve,
      (e) => e.msg === "http request" && e.correlation_id === "corr-stream",
    );
    assert.equal(streamed.status, 200, "a hijacked SSE reply is logged when it ends");
    assert.equal(streamed.identity, `token:${FP6}`);
    const refused = await waitForLog(
      serve,
      (e) => e.msg === "http request" && e.correlation_id === "corr-missing",
    );
    assert.equal(refused.status, 401);
    for (const entry of serve.logs) {
      const text = JSON.stringify(entry);
      assert.ok(!text.includes(TOKEN), `token in a log line: ${text}`);
      assert.ok(!/bearer /i.test(text), `Authorization header in a log line: ${text}`);
    }
  });

  it("AUTH-1001 gRPC without the token is UNAUTHENTICATED; with it, the call works", async () => {
    const plain = new OrchestratorClient(serve.address, credentials.createInsecure());
    const authed = new OrchestratorClient(serve.address, credentials.createInsecure(), {
      interceptors: sendBearer(TOKEN),
    });
    const wrong = new OrchestratorClient(serve.address, credentials.createInsecure(), {
      interceptors: sendBearer("secret-token-124"),
    });
    try {
      const refused = await capabilities(plain);
      assert.ok(refused instanceof Error, "no token must fail");
      assert.equal((refused as ServiceError).code, status.UNAUTHENTICATED);
      const bad = await capabilities(wrong);
      assert.equal((bad as ServiceError).code, status.UNAUTHENTICATED);
      const caps = await capabilities(authed);
      assert.ok(!(caps instanceof Error), String(caps));
    } finally {
      plain.close();
      authed.close();
      wrong.close();
    }
  });

  it("AUTH-1001 the scheme name is case-insensitive (RFC 7235) over HTTP and gRPC", async () => {
    for (const scheme of ["bearer", "BEARER", "BeArEr"]) {
      const headers = { authorization: `${scheme} ${TOKEN}` };
      const answer = await call(serve, "GET", "/v1/capabilities", { headers });
      assert.equal(answer.status, 200, scheme);
    }
    const lower = new OrchestratorClient(serve.address, credentials.createInsecure(), {
      interceptors: [
        (options, next) =>
          new InterceptingCall(next(options), {
            start: (metadata, listener, start) => {
              metadata.set("authorization", `bearer ${TOKEN}`);
              start(metadata, listener);
            },
          }),
      ],
    });
    try {
      const caps = await capabilities(lower);
      assert.ok(!(caps instanceof Error), String(caps));
    } finally {
      lower.close();
    }
  });

  it("AUTH-1003 workers registered with the token: the pool came up ready", async () => {
    const health = await call(serve, "GET", "/v1/pools/cpu-0/health", { headers: bearer(TOKEN) });
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.equal(health.body?.ready, true);
  });
});

describe("AUTH_OPTIONAL on loopback", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({
      config,
      env: { AUTH_TOKEN: TOKEN, AUTH_OPTIONAL: "true" },
      token: TOKEN,
    });
  });
  after(() => serve?.stop());

  it("AUTH-1004 a loopback caller without a header is let in as localhost", async () => {
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: task,
      headers: { "x-correlation-id": "corr-optional" },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const line = await waitForLog(
      serve,
      (e) => e.msg === "http request" && e.correlation_id === "corr-optional",
    );
    assert.equal(line.identity, "localhost");
  });

  it("AUTH-1004 a wrong header is still 401 40102", async () => {
    const answer = await call(serve, "GET", "/v1/capabilities", { headers: bearer("nope") });
    assert.equal(answer.status, 401);
    assert.equal(answer.body?.code, 40102);
  });
});

/** Runs `serve` on `yaml` without AUTH_TOKEN until it exits; never waits for it to serve. */
