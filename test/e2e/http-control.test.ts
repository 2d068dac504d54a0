// The control-plane HTTP routes end to end: a real `llama-orch serve`, real HTTP through undici.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

async function tinyDigest(): Promise<string> {
  const bytes = await readFile(await tinyModelPath());
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe("control plane over HTTP", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve.stop());

  async function http(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await request(`${serve.http}${path}`, {
      method: method as "GET",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  function assertError(answer: Answer, status: number, code: string) {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.code, code);
    assert.equal(typeof answer.body.message, "string");
  }

  it("OC-CTRL-2060: lists the live pool's engine, version, context and slots", async () => {
    const { status, body } = await http("GET", "/v1/capabilities");
    assert.equal(status, 200);
    assert.equal(body.api_version, "1.0.0");
    const [engine] = body.engines as Record<string, unknown>[];
    assert.equal(engine?.engine, "llamacpp");
    assert.ok((engine?.ctx_max as number) > 0);
    assert.equal(engine?.slots_total, 1);
    assert.deepEqual(engine?.pools, ["cpu-0"]);
  });

  it("ORCH-2103: reports a pool's health, and 404 for an unknown pool", async () => {
    const { status, body } = await http("GET", "/v1/pools/cpu-0/health");
    assert.equal(status, 200);
    assert.equal(body.pool_id, "cpu-0");
    assert.equal(body.live, true);
    assert.equal(body.ready, true);
    assert.equal(body.draining, false);
    assert.equal(body.model_ref, "builtin:tiny");
    const metrics = body.metrics as Record<string, unknown>;
    assert.equal(metrics.queue_depth, 0);
    assert.equal(metrics.slots_total, 1);
    assertError(await http("GET", "/v1/pools/nope/health"), 404, "POOL_NOT_FOUND");
  });

  it("ORCH-2101: refuses a drain without a valid deadline, and drains an unknown pool as 404", async () => {
    assertError(await http("POST", "/v1/pools/cpu-0/drain", {}), 400, "INVALID_PARAMS");
    const negative = await http("POST", "/v1/pools/cpu-0/drain", { deadline_ms: -1 });
    assertError(negative, 400, "INVALID_PARAMS");
    const extra = await http("POST", "/v1/pools/cpu-0/drain", { deadline_ms: 1, force: true });
    assertError(extra, 400, "INVALID_PARAMS");
    const unknown = await http("POST", "/v1/pools/nope/drain", { deadline_ms: 1000 });
    assertError(unknown, 404, "POOL_NOT_FOUND");
  });

  it("ORCH-3060: creates, reads, verifies, retires and deletes a catalog entry", async () => {
    const hex = createHash("sha256")
      .update(await readFile(await tinyModelPath()))
      .digest("hex");
    const model = {
      id: "tiny-http",
      digest: `sha256:${hex}`,
      source_url: "builtin:tiny",
      tags: ["test"],
    };
    const created = await http("POST", "/v1/catalog/models", model);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, { ...model, state: "Active" });
    assert.deepEqual((await http("GET", "/v1/catalog/models/tiny-http")).body, created.body);

    const verified = await http("POST", "/v1/catalog/models/tiny-http/verify");
    assert.equal(verified.status, 202);
    assert.equal(verified.body.status, "pass");

    const retire = { state: "Retired", deadline_ms: 1000 };
    assert.equal((await http("POST", "/v1/catalog/models/tiny-http/state", retire)).status, 202);
    assert.equal((await http("GET", "/v1/catalog/models/tiny-http")).body.state, "Retired");
    const bad = await http("POST", "/v1/catalog/models/tiny-http/state", { state: "Zombie" });
    assertError(bad, 400, "INVALID_PARAMS");

    assert.equal((await http("DELETE", "/v1/catalog/models/tiny-http")).status, 204);
    assertError(await http("GET", "/v1/catalog/models/tiny-http"), 404, "CATALOG_ENTRY_NOT_FOUND");
    assertError(
      await http("DELETE", "/v1/catalog/models/tiny-http"),
      404,
      "CATALOG_ENTRY_NOT_FOUND",
    );
  });

  it("ORCH-3060: refuses a catalog entry whose digest does not match, or without a digest", async () => {
    const wrong = {
      id: "tiny-bad",
      digest: `sha256:${"0".repeat(64)}`,
      source_url: "builtin:tiny",
    };
    assertError(await http("POST", "/v1/catalog/models", wrong), 422, "MODEL_DIGEST_MISMATCH");
    const missing = await http("POST", "/v1/catalog/models", { id: "tiny-bad" });
    assertError(missing, 400, "INVALID_PARAMS");
    const verify = await http("POST", "/v1/catalog/models/tiny-bad/verify");
    assertError(verify, 404, "CATALOG_ENTRY_NOT_FOUND");
  });

  it("issue 14: a source_url outside the model directories is refused without its digest", async () => {
    const outside = await mkdtemp(join(tmpdir(), "llama-orch-secret-"));
    const secret = join(outside, "secret.gguf");
    await writeFile(secret, "not for the catalog to read");
    const sha = createHash("sha256")
      .update(await readFile(secret))
      .digest("hex");
    try {
      for (const source_url of ["/etc/shadow", secret, `file:${secret}`]) {
        const wrong = { id: "leak", digest: `sha256:${"0".repeat(64)}`, source_url };
        const answer = await http("POST", "/v1/catalog/models", wrong);
        assertError(answer, 400, "INVALID_PARAMS");
        assert.match(answer.body.message as string, /outside the model directories.*models\.dirs/);
        assert.doesNotMatch(JSON.stringify(answer.body), new RegExp(sha));
      }
      assertError(await http("GET", "/v1/catalog/models/leak"), 404, "CATALOG_ENTRY_NOT_FOUND");
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("issue 14: retiring a catalog alias of builtin:tiny leaves builtin:tiny servable", async () => {
    const alias = { id: "tiny-alias", source_url: "builtin:tiny", digest: await tinyDigest() };
    assert.equal((await http("POST", "/v1/catalog/models", alias)).status, 201);
    const retire = { state: "Retired" };
    assert.equal((await http("POST", "/v1/catalog/models/tiny-alias/state", retire)).status, 202);
    const completion = { model: "builtin:tiny", prompt: "hello", max_tokens: 2 };
    const served = await http("POST", "/v1/completions", completion);
    assert.equal(served.status, 200, JSON.stringify(served.body));
    const retired = await http("POST", "/v1/completions", { ...completion, model: "tiny-alias" });
    assert.equal(retired.status, 400);
    assert.equal((retired.body.error as { code: string }).code, "MODEL_DEPRECATED");
    assert.equal((await http("DELETE", "/v1/catalog/models/tiny-alias")).status, 204);
  });

  it("OC-CTRL-2065/OC-CTRL-2066: stores a JSON artifact under its sha256 id and reads it back", async () => {
    const artifact = {
      kind: "plan",
      content: { steps: ["read", "edit"] },
      tags: ["demo"],
      metadata: { owner: "e2e" },
    };
    const created = await http("POST", "/v1/artifacts", artifact);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(created.body.kind, "plan");
    assert.deepEqual(created.body.tags, ["demo"]);
    const again = await http("POST", "/v1/artifacts", artifact);
    assert.equal(again.body.id, id, "content-addressed: same content, same id");

    const read = await http("GET", `/v1/artifacts/${id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, artifact);
  });

  it("OC-CTRL-2066: answers 404 for an unknown artifact and 400 for a malformed id or kind", async () => {
    const unknown = await http("GET", `/v1/artifacts/sha256:${"a".repeat(64)}`);
    assertError(unknown, 404, "ARTIFACT_NOT_FOUND");
    assertError(await http("GET", "/v1/artifacts/not-an-id"), 400, "INVALID_PARAMS");
    const badKind = await http("POST", "/v1/artifacts", { kind: "poem", content: {} });
    assertError(badKind, 400, "INVALID_PARAMS");
    const notObject = await http("POST", "/v1/artifacts", { kind: "plan", content: "text" });
    assertError(notObject, 400, "INVALID_PARAMS");
  });

  it("OC-CTRL-2066: lists artifacts newest first a page at a time, every one exactly once", async () => {
    const made: string[] = [];
    for (const step of ["one", "two", "three"]) {
      const created = await http("POST", "/v1/artifacts", { kind: "plan", content: { step } });
      made.push(created.body.id as string);
    }
    const seen: string[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const query = token ? `?limit=2&page_token=${token}` : "?limit=2";
      const page = await http("GET", `/v1/artifacts${query}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      const items = page.body.artifacts as { id: string; kind: string }[];
      assert.ok(items.length <= 2);
      seen.push(...items.map((item) => item.id));
      token = page.body.next_page_token as string | undefined;
      if (!token) break;
    }
    for (const id of made) assert.ok(seen.includes(id), `${id} listed`);
    assert.equal(new Set(seen).size, seen.length, "none twice");
    const newest = made.map((id) => seen.indexOf(id));
    assert.deepEqual(
      newest,
      [...newest].sort((a, b) => b - a),
      "the latest first",
    );
    assertError(await http("GET", "/v1/artifacts?limit=0"), 400, "INVALID_PARAMS");
    assertError(await http("GET", "/v1/artifacts?limit=101"), 400, "INVALID_PARAMS");
    assertError(await http("GET", "/v1/artifacts?page_token=nope"), 400, "INVALID_PARAMS");
  });

  it("ORCH-2102: reloads the pool onto another model, changing its digest", async () => {
    const before = await http("GET", "/v1/pools/cpu-0/health");
    const oldDigest = (before.body.metrics as Record<string, unknown>).model_digest;
    const reload = await http("POST", "/v1/pools/cpu-0/reload", {
      new_model_ref: "builtin:tiny-q8_0",
    });
    assert.equal(reload.status, 202, JSON.stringify(reload.body));
    assert.equal(reload.body.model_ref, "builtin:tiny-q8_0");
    assert.equal(typeof reload.body.model_digest, "string");
    assert.notEqual(reload.body.model_digest, oldDigest);
    const afterReload = await http("GET", "/v1/pools/cpu-0/health");
    assert.equal(afterReload.body.model_ref, "builtin:tiny-q8_0");
    assert.equal(afterReload.body.ready, true);
    assertError(await http("POST", "/v1/pools/cpu-0/reload", {}), 400, "INVALID_PARAMS");
  });

  it("ORCH-2101: drains a pool: 202, then its health says draining", async () => {
    const drain = await http("POST", "/v1/pools/cpu-0/drain", { deadline_ms: 1000 });
    assert.equal(drain.status, 202, JSON.stringify(drain.body));
    const health = await http("GET", "/v1/pools/cpu-0/health");
    assert.equal(health.body.draining, true);
  });
});
