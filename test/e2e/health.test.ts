// Health end to end against a real `llama-orch serve` with AUTH_TOKEN: /health, /readyz and /livez
// while the pool loads, once it is ready, while it drains and after a reload; the standard gRPC
// health service read with a stock client; /v1/pools and /v1/models following the pool's state.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { credentials, loadPackageDefinition, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";
import { type Answer, call } from "../support/http-calls.js";
import { type ServeProcess, startServe, waitForLog, waitReady } from "../support/serve-process.js";

const TOKEN = "health-secret";
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 1024, threads: 1 }
`;
const auth = { authorization: `Bearer ${TOKEN}` };

type Status = "SERVING" | "NOT_SERVING" | "UNKNOWN" | "SERVICE_UNKNOWN";
interface HealthClient {
  check(
    request: { service: string },
    metadata: object,
    done: (error: ServiceError | null, reply: { status: Status }) => void,
  ): void;
  close(): void;
}

/** grpc.health.v1.Health from the proto grpc-health-check ships: what grpc_health_probe calls. */
function stockHealthClient(address: string): HealthClient {
  const definition = loadSync(protoPath, { keepCase: true, enums: String });
  const grpc = loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (a: string, c: unknown) => HealthClient } } };
  };
  return new grpc.grpc.health.v1.Health(address, credentials.createInsecure());
}

async function grpcStatus(client: HealthClient, service: string): Promise<Status> {
  // The health service is not behind the token, as grpc_health_probe sends none.
  return new Promise((resolve, reject) => {
    client.check({ service }, {}, (error, reply) =>
      error ? reject(error) : resolve(reply.status),
    );
  });
}

/** Polls until `check` holds, for state the control plane rechecks on its own cadence. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`never: ${what}`);
}

const statusOf = (answer: Answer) => [answer.status, answer.body?.status];

describe("health, readiness and pool states", () => {
  let serve: ServeProcess;
  let health: HealthClient;
  const beforeReady: Answer[] = [];
  before(async () => {
    serve = await startServe({
      config,
      env: { AUTH_TOKEN: TOKEN },
      token: TOKEN,
      waitReady: false,
    });
    health = stockHealthClient(serve.address);
    // Probes from the moment the gateway serves until the pool is ready.
    for (;;) {
      const answer = await call(serve, "GET", "/health");
      if (answer.status === 200) break;
      beforeReady.push(answer);
      await sleep(20);
    }
    await waitReady(serve.pools);
  });
  after(async () => {
    health?.close();
    await serve?.stop();
  });

  it("HLT-001 answers 503 loading (status only, no token needed) until the pool is ready, then 200 ok", async () => {
    for (const answer of beforeReady) {
      assert.deepEqual([answer.status, answer.body], [503, { status: "loading" }]);
    }
    const ok = await call(serve, "GET", "/health");
    assert.deepEqual([ok.status, ok.body], [200, { status: "ok" }]);
    assert.ok(String(ok.headers["x-correlation-id"]).length > 0);
    const ready = await call(serve, "GET", "/readyz");
    assert.deepEqual([ready.status, ready.body], [200, { status: "ok" }]);
    const live = await call(serve, "GET", "/livez");
    assert.deepEqual([live.status, live.body], [200, { status: "ok" }]);
  });

  it("HLT-002 says which pool is in which state only to a caller with the token", async () => {
    const detailed = await call(serve, "GET", "/health", { headers: auth });
    assert.deepEqual(detailed.body, {
      status: "ok",
      pools: [{ pool_id: "cpu-0", state: "ready" }],
    });
    const wrong = await call(serve, "GET", "/health", { headers: { authorization: "Bearer no" } });
    assert.deepEqual([wrong.status, wrong.body], [200, { status: "ok" }]);
    const pools = await call(serve, "GET", "/v1/pools");
    assert.equal(pools.status, 401, "the pool list is not public");
  });

  it("HLT-003 logs one pool ready line with pool, model and load time", async () => {
    const line = await waitForLog(serve, (entry) => entry.msg === "pool ready");
    assert.equal(line.pool_id, "cpu-0");
    assert.equal(line.model_ref, "builtin:tiny");
    assert.equal(typeof line.load_ms, "number");
    assert.equal(serve.logs.filter((entry) => entry.msg === "pool ready").length, 1);
  });

  it("HLT-004 the gRPC health service follows readiness overall and per service", async () => {
    assert.equal(await grpcStatus(health, ""), "SERVING");
    assert.equal(await grpcStatus(health, "llama_orch.v1.Orchestrator"), "SERVING");
    assert.equal(await grpcStatus(health, "llama_orch.v1.Catalog"), "SERVING");
  });

  it("HLT-005 a draining pool: 503 unavailable, NOT_SERVING, state draining, its model not listed; a reload brings all back", async () => {
    const drain = await call(serve, "POST", "/v1/pools/cpu-0/drain", {
      json: { deadline_ms: 60_000 },
      headers: auth,
    });
    assert.equal(drain.status, 202);
    assert.deepEqual(statusOf(await call(serve, "GET", "/readyz")), [503, "unavailable"]);
    const detailed = await call(serve, "GET", "/health", { headers: auth });
    assert.deepEqual(detailed.body?.pools, [{ pool_id: "cpu-0", state: "draining" }]);
    const pools = await call(serve, "GET", "/v1/pools", { headers: auth });
    const [pool] = (pools.body?.pools ?? []) as Record<string, unknown>[];
    assert.deepEqual(
      [pool?.pool_id, pool?.state, pool?.model_ref],
      ["cpu-0", "draining", "builtin:tiny"],
    );
    const models = await call(serve, "GET", "/v1/models", { headers: auth });
    assert.deepEqual(models.body?.data, [], "a draining pool's model cannot be served now");
    await eventually(async () => (await grpcStatus(health, "")) === "NOT_SERVING", "NOT_SERVING");
    assert.equal(await grpcStatus(health, "llama_orch.v1.Orchestrator"), "NOT_SERVING");
    assert.equal(await grpcStatus(health, "llama_orch.v1.Catalog"), "SERVING");
    // The worker registry keeps serving: a pool could not become ready otherwise.
    assert.equal(await grpcStatus(health, "llama_orch.v1.WorkerRegistry"), "SERVING");

    const reload = await call(serve, "POST", "/v1/pools/cpu-0/reload", {
      json: { new_model_ref: "builtin:tiny" },
      headers: auth,
    });
    assert.equal(reload.status, 202);
    assert.deepEqual(statusOf(await call(serve, "GET", "/health")), [200, "ok"]);
    await eventually(async () => (await grpcStatus(health, "")) === "SERVING", "SERVING again");
    const listed = await call(serve, "GET", "/v1/models", { headers: auth });
    assert.deepEqual(
      ((listed.body?.data ?? []) as { id: string }[]).map((m) => m.id),
      ["builtin:tiny"],
    );
  });

  it("HLT-006 a retired model is no longer listed by /v1/models", async () => {
    const pools = await call(serve, "GET", "/v1/pools", { headers: auth });
    const [pool] = (pools.body?.pools ?? []) as { metrics: { model_digest: string } }[];
    const digest = pool?.metrics.model_digest;
    const created = await call(serve, "POST", "/v1/catalog/models", {
      json: { id: "tiny", source_url: "builtin:tiny", digest: `sha256:${digest}` },
      headers: auth,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const retired = await call(serve, "POST", "/v1/catalog/models/tiny/state", {
      json: { state: "Retired" },
      headers: auth,
    });
    assert.equal(retired.status, 202, JSON.stringify(retired.body));
    const models = await call(serve, "GET", "/v1/models", { headers: auth });
    assert.deepEqual(models.body?.data, []);
  });
});
