// Mutual TLS on one host: the control plane, its local pool's worker, a remote-style worker and the
// HTTPS gateway all on TLS; workers without a certificate the CA signed are refused; a plaintext
// control plane refuses a worker on another host (INSECURE_TRANSPORT) unless told it is insecure.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { Agent, fetch } from "undici";
import type { OrchError } from "../../src/common/errors.js";
import { PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import {
  type RegisterResponse,
  type WorkerDescription,
  WorkerRegistryClient,
} from "../../src/gen/llama_orch/v1/worker.js";
import { createPki, type Pki } from "../support/certs.js";
import { endOf, startedOf, submit, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForPool } from "../support/serve-process.js";
import { startWorker, type WorkerProcess } from "../support/worker-process.js";

const pool = `{ id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }`;

function tlsFlags(files: { certFile: string; keyFile: string; caFile: string }): string[] {
  return ["--tls-cert", files.certFile, "--tls-key", files.keyFile, "--tls-ca", files.caFile];
}

describe("mutual TLS between control plane, workers and clients (loopback)", () => {
  let dir: string;
  let pki: Pki;
  let serve: ServeProcess;
  const workers: WorkerProcess[] = [];

  function remote(poolId: string, flags: string[]): Promise<WorkerProcess> {
    const args = ["--control", serve.address, "--pool", poolId, "--model", "builtin:tiny"];
    args.push("--backend", "cpu", "--slots", "1", "--threads", "1", "--context-size", "512");
    return startWorker([...args, ...flags]).then((worker) => {
      workers.push(worker);
      return worker;
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-mtls-"));
    pki = createPki(dir);
    const cp = pki.issue("control", ["127.0.0.1", "localhost"]);
    const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 200, stale_after_ms: 1000 }
tls: { cert_file: "${cp.certFile}", key_file: "${cp.keyFile}", ca_file: "${cp.caFile}" }
pools:
  - ${pool}
`;
    serve = await startServe({ config, tls: pki.issue("client", ["localhost"]) });
  });
  after(async () => {
    for (const worker of workers) worker.kill();
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the local pool's worker and a remote worker with a CA-signed certificate both serve", async () => {
    await remote("remote-1", tlsFlags(pki.issue("worker-1", ["127.0.0.1"])));
    await waitForPool(serve.pools, "remote-1", (h) => h.ready);
    for (const poolId of ["cpu-0", "remote-1"]) {
      const placement = PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: poolId });
      const out = await submit(serve.orchestrator, {
        prompt: "tls",
        maxTokens: 3,
        ignoreEos: true,
        placement,
      });
      assert.equal(out.error, undefined, out.error?.message);
      assert.equal(startedOf(out)?.poolId, poolId);
      assert.equal(endOf(out)?.tokensOut, 3);
    }
  });

  it("a worker with a certificate from another CA, or none, never registers", async () => {
    const rogue = createPki(dir, "rogue").issue("intruder", ["127.0.0.1"]);
    const forged = await remote("forged", tlsFlags({ ...rogue, caFile: pki.caFile }));
    const plain = await remote("plain", []);
    for (const worker of [forged, plain]) {
      const refused = await worker.waitForLog(
        (e) => e.msg?.toString().includes("unreachable") ?? false,
      );
      assert.equal(refused.level, "warn", JSON.stringify(refused));
    }
    for (const poolId of ["forged", "plain"]) {
      const health = await unary((cb) => serve.pools.health({ poolId }, cb)).catch((e) => e);
      assert.equal((health as OrchError).code, "POOL_NOT_FOUND");
    }
  });

  it("the gateway serves HTTPS, HTTP/1.1 and h2 by ALPN, with the configured certificate", async () => {
    const ca = await readFile(pki.caFile);
    const dispatcher = new Agent({ connect: { ca } });
    const response = await fetch(`${serve.http}/v1/models`, { dispatcher });
    assert.equal(response.status, 200);
    await dispatcher.close();
    const session = connect(serve.http, { ca });
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ":path": "/v1/models" });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.resume();
    });
    session.close();
    assert.equal(status, 200);
    const plaintext = await fetch(serve.http.replace("https:", "http:")).catch((e: Error) => e);
    assert.ok(plaintext instanceof Error, "no plaintext answer on the TLS port");
  });
});

describe("plaintext control plane and workers on other hosts", () => {
  const description: WorkerDescription = {
    workerId: "",
    poolId: "far",
    engine: "llamacpp",
    engineVersion: "test",
    slots: 1,
    backend: "cpu",
    features: {},
  };
  const far = { poolId: "far", address: "198.18.0.9:50061", description, sequence: 1 };

  async function registerAt(serve: ServeProcess): Promise<RegisterResponse | OrchError> {
    const client = new WorkerRegistryClient(serve.address, credentials.createInsecure());
    const request = { ...far, instanceId: "i-far" };
    return unary<RegisterResponse>((cb) => client.register(request, cb))
      .catch((error: OrchError) => error)
      .finally(() => client.close());
  }

  it("refuses a non-loopback worker without TLS, naming the fix (INSECURE_TRANSPORT)", async () => {
    const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools: []
`;
    const serve = await startServe({ config, waitReady: false });
    try {
      const refused = (await registerAt(serve)) as OrchError;
      assert.equal(refused.code, "INSECURE_TRANSPORT", refused.message);
      assert.match(refused.message, /tls\.cert_file.*workers\.allow_insecure_remote/s);
    } finally {
      await serve.stop();
    }
  });

  it("accepts it when workers.allow_insecure_remote says so", async () => {
    const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { allow_insecure_remote: true }
pools: []
`;
    const serve = await startServe({ config, waitReady: false });
    try {
      const registered = (await registerAt(serve)) as RegisterResponse;
      assert.match(registered.workerId, /far/);
    } finally {
      await serve.stop();
    }
  });
});
