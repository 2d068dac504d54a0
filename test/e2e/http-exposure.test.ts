// Exposure: a non-loopback bind without a token refuses to start; CORS only for listed origins.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../../src/common/paths.js";
import { bindRefusal } from "../../src/gateway/auth.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const TOKEN = "secret-token-123";
const _FP6 = createHash("sha256").update(TOKEN).digest("hex").slice(0, 6);

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const task = { model_ref: "builtin:tiny", prompt: "Hello", max_tokens: 2 };

async function refusedServe(yaml: string): Promise<{ code: number | null; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), "llama-orch-auth-"));
  try {
    const path = join(dir, "config.yaml");
    await writeFile(path, yaml.replaceAll("{data_dir}", dir));
    const env = { ...process.env };
    delete env.AUTH_TOKEN;
    delete env.AUTH_OPTIONAL;
    const child = spawn(
      process.execPath,
      [join(repoRoot, "bin", "llama-orch.js"), "serve", "--config", path],
      { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.resume();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(timer);
    return { code, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("startup refusal", () => {
  it("AUTH-1002 HME-002 a non-loopback HTTP bind without AUTH_TOKEN exits non-zero", async () => {
    const { code, stderr } = await refusedServe(
      config.replace('http_addr: "127.0.0.1:0"', 'http_addr: "0.0.0.0:0"'),
    );
    assert.notEqual(code, 0);
    assert.notEqual(code, null, "it must exit on its own");
    assert.match(stderr, /NON_LOOPBACK_WITHOUT_TOKEN/);
    assert.match(stderr, /server\.http_addr/);
  });

  it("AUTH-1002 a non-loopback gRPC bind without AUTH_TOKEN is refused by config validation", async () => {
    const { code, stderr } = await refusedServe(
      config.replace('grpc_addr: "127.0.0.1:0"', 'grpc_addr: "0.0.0.0:0"'),
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /server\.grpc_addr.*NON_LOOPBACK_WITHOUT_TOKEN/);
  });

  it("AUTH-1002 the gateway's own guard names the error too", () => {
    const refusal = bindRefusal("0.0.0.0", { token: undefined, optional: true });
    assert.match(refusal ?? "", /NON_LOOPBACK_WITHOUT_TOKEN/);
    assert.equal(bindRefusal("0.0.0.0", { token: TOKEN, optional: false }), undefined);
  });
});

describe("CORS (gateway.cors_origins)", () => {
  const origin = "http://example.test";
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({
      config: `${config}gateway: { cors_origins: ["${origin}"] }\n`,
      env: { AUTH_TOKEN: TOKEN },
      token: TOKEN,
    });
  });
  after(() => serve?.stop());

  it("AUTH-1001 a preflight from a listed origin is answered 204 with the allow headers, no token needed", async () => {
    const answer = await call(serve, "OPTIONS", "/v1/tasks", {
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers["access-control-allow-origin"], origin);
    assert.equal(
      answer.headers["access-control-allow-headers"],
      "authorization, content-type, x-correlation-id, x-session-id",
    );
    assert.match(String(answer.headers["access-control-allow-methods"]), /POST/);
    assert.match(String(answer.headers["access-control-expose-headers"]), /x-correlation-id/);
  });

  it("AUTH-1001 a request from a listed origin gets the origin and the exposed headers", async () => {
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: task,
      headers: { origin, ...bearer(TOKEN) },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.headers["access-control-allow-origin"], origin);
    assert.equal(
      answer.headers["access-control-expose-headers"],
      "x-correlation-id, retry-after, x-backoff-ms, x-budget-tokens-remaining, " +
        "x-budget-time-remaining-ms, x-budget-cost-remaining, x-tokens-delivered",
    );
  });

  it("AUTH-1001 another origin gets no Access-Control-Allow-Origin", async () => {
    const other = { origin: "http://evil.test" };
    const preflight = await call(serve, "OPTIONS", "/v1/tasks", {
      headers: { ...other, "access-control-request-method": "POST" },
    });
    assert.equal(preflight.headers["access-control-allow-origin"], undefined);
    const answer = await call(serve, "GET", "/v1/capabilities", {
      headers: { ...other, ...bearer(TOKEN) },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["access-control-allow-origin"], undefined);
  });
});
