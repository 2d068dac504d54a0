// Auth as seen from another host and behind a reverse proxy: the gateway bound to 0.0.0.0 with
// AUTH_OPTIONAL and TRUST_PROXY_AUTH, called from this machine's non-loopback address (a real
// remote source address to the server) and from loopback (where the proxy would sit).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import { type ServeProcess, startServe, waitForLog } from "../support/serve-process.js";

const TOKEN = "remote-secret-456";
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "0.0.0.0:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalAddress(): string | undefined {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return all.find((i) => i.family === "IPv4" && !i.internal)?.address;
}

const external = externalAddress();
const fp6 = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 6);

describe("auth from another host and behind a proxy", {
  skip: external === undefined && "no non-loopback IPv4 address here",
}, () => {
  let serve: ServeProcess;
  let port: number;
  let fromRemote: Agent;
  before(async () => {
    serve = await startServe({
      config,
      env: { AUTH_TOKEN: TOKEN, AUTH_OPTIONAL: "true", TRUST_PROXY_AUTH: "true" },
      token: TOKEN,
    });
    port = Number(new URL(serve.http).port);
    fromRemote = new Agent({ connect: { localAddress: external } });
  });
  after(async () => {
    await fromRemote?.close();
    await serve?.stop();
  });

  /** GET /v1/capabilities from `host` (the remote source or loopback); status, code, log identity. */
  async function capabilities(remote: boolean, headers: Record<string, string> = {}) {
    const correlation = `corr-${Math.random().toString(36).slice(2)}`;
    const host = remote ? external : "127.0.0.1";
    const res = await request(`http://${host}:${port}/v1/capabilities`, {
      headers: { ...headers, "x-correlation-id": correlation },
      dispatcher: remote ? fromRemote : undefined,
    });
    const body = (await res.body.json()) as { code?: number };
    const line = await waitForLog(
      serve,
      (e) => e.msg === "http request" && e.correlation_id === correlation,
    );
    return { status: res.statusCode, code: body.code, identity: line.identity };
  }

  it("AUTH-1004 AUTH_OPTIONAL does not let a remote caller in without the token", async () => {
    assert.deepEqual(await capabilities(true), {
      status: 401,
      code: 40101,
      identity: "anonymous",
    });
    const ok = await capabilities(true, { authorization: `Bearer ${TOKEN}` });
    assert.deepEqual(ok, { status: 200, code: undefined, identity: `token:${fp6(TOKEN)}` });
  });

  it("AUTH-1006 a remote caller cannot pass a proxy's credential: only AUTH_TOKEN works", async () => {
    const answer = await capabilities(true, { authorization: "Bearer sso-user-jwt" });
    assert.equal(answer.status, 401);
    assert.equal(answer.code, 40102);
  });

  it("AUTH-1006 AUTH-1008 a proxy on loopback vouches with its own header; logged as proxy:<fp6>", async () => {
    const answer = await capabilities(false, { authorization: "Bearer sso-user-jwt" });
    assert.deepEqual(answer, {
      status: 200,
      code: undefined,
      identity: `proxy:${fp6("sso-user-jwt")}`,
    });
    assert.ok(!JSON.stringify(serve.logs).includes("sso-user-jwt"), "the credential is not logged");
    const malformed = await capabilities(false, { authorization: "Basic dXNlcjpwYXNz" });
    assert.equal(malformed.code, 40102, "only a Bearer header is trusted");
  });
});
