// catalog.trust through a real `llama-orch serve`: strict refuses an unverified model at task
// submit and at reload (UNTRUSTED_ARTIFACT) and pulls outside catalog.allow; permissive serves it
// with one warning and marks it; /v1/models lists every catalog name and resolves aliases.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI, { NotFoundError } from "openai";
import { repoRoot } from "../../src/common/paths.js";
import { modelDigest } from "../../src/models/model-digest.js";
import { type FixtureHub, startFixtureHub } from "../support/fixture-hub.js";
import { flipLastByte } from "../support/flip-byte.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe, waitForPool } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

function config(catalog: string, pools: string): string {
  return `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
models: { cache_dir: "{data_dir}/pulled", dirs: ["{data_dir}/local"] }
catalog: ${catalog}
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }
${pools}`;
}

/** A serve on its own data dir holding `local/tiny-copy.gguf`, a file no source vouches for. */
async function serveWith(catalog: string, env: NodeJS.ProcessEnv = {}, pools = "") {
  const dataDir = await mkdtemp(join(tmpdir(), "llama-orch-trust-"));
  await mkdir(join(dataDir, "local"));
  const local = join(dataDir, "local", "tiny-copy.gguf");
  await copyFile(await tinyModelPath(), local);
  const serve = await startServe({
    config: config(catalog, pools),
    dataDir,
    env,
    waitReady: false,
  });
  await waitForPool(serve.pools, "cpu-0", (health) => health.ready, 120_000);
  const stop = async () => {
    await serve.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  return { serve, local, stop };
}

type Body = Record<string, unknown>;
const errorCode = (body: Body | undefined) =>
  ((body?.error as Body | undefined)?.code ?? body?.code) as string | undefined;

/** Pulls through the SSE route, returning the status and the raw event text. */
async function pullText(serve: ServeProcess, ref: string, alias?: string) {
  const res = await fetch(`${serve.http}/v1/models/pull`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ref, ...(alias ? { alias } : {}) }),
  });
  return { status: res.status, text: await res.text() };
}

const completion = (model: string) => ({ model, prompt: "hi", max_tokens: 2 });

async function catalogEntry(serve: ServeProcess, id: string): Promise<Body | undefined> {
  const list = await call(serve, "GET", "/v1/catalog/models");
  return ((list.body?.models ?? []) as Body[]).find((m) => m.id === id);
}

async function engineModels(
  serve: ServeProcess,
): Promise<{ models: string[]; untrusted: string[] }> {
  const caps = await call(serve, "GET", "/v1/capabilities");
  const [engine] = (caps.body?.engines ?? []) as { models: string[]; untrusted_models: string[] }[];
  return { models: engine?.models ?? [], untrusted: engine?.untrusted_models ?? [] };
}

describe("catalog.trust strict, catalog.allow [hf:org]", { timeout: 300_000 }, () => {
  let hub: FixtureHub;
  let serve: ServeProcess;
  let local = "";
  let stop: () => Promise<void>;

  before(async () => {
    hub = await startFixtureHub();
    const bytes = await readFile(await tinyModelPath());
    const commit = "feedfacefeedfacefeedfacefeedfacefeedface";
    hub.repos.set("org/tiny-GGUF", { commit, files: { "tiny-F16.gguf": { bytes } } });
    hub.repos.set("other/tiny-GGUF", { commit, files: { "tiny-F16.gguf": { bytes } } });
    // A pool configured with the local file itself: strict must not load it.
    const localPool = `  - { id: local-0, model: "{data_dir}/local/tiny-copy.gguf", backend: cpu, slots: 1, context_size: 512, threads: 1 }\n`;
    ({ serve, local, stop } = await serveWith(
      `{ trust: strict, allow: ["hf:org"] }`,
      { HF_ENDPOINT: hub.endpoint },
      localPool,
    ));
  });
  after(async () => {
    await stop?.();
    await hub?.close();
  });

  it("does not start a pool configured with an unverified local file: it is down with UNTRUSTED_ARTIFACT", async () => {
    const health = await call(serve, "GET", "/v1/pools/local-0/health");
    assert.equal(health.body?.state, "down", JSON.stringify(health.body));
    assert.match(String(health.body?.last_error), /UNTRUSTED_ARTIFACT: .*never verified/);
  });

  it("refuses an unverified model with UNTRUSTED_ARTIFACT at task submit and at reload; the pool keeps serving", async () => {
    const pulled = await pullText(serve, local, "loose");
    assert.equal(pulled.status, 202, pulled.text);
    assert.match(pulled.text, /event: done/);
    for (const model of ["loose", local]) {
      const task = await call(serve, "POST", "/v1/completions", { json: completion(model) });
      assert.equal(task.status, 400, JSON.stringify(task.body));
      assert.equal(errorCode(task.body), "UNTRUSTED_ARTIFACT");
    }
    const native = await call(serve, "POST", "/v1/tasks", {
      json: { model_ref: "loose", prompt: "hi", max_tokens: 2 },
    });
    assert.equal(native.status, 400, JSON.stringify(native.body));
    assert.equal(errorCode(native.body), "UNTRUSTED_ARTIFACT");
    const reload = await call(serve, "POST", "/v1/pools/cpu-0/reload", {
      json: { new_model_ref: "loose" },
    });
    assert.equal(reload.status, 400, JSON.stringify(reload.body));
    assert.equal(errorCode(reload.body), "UNTRUSTED_ARTIFACT");
    assert.match(String(reload.body?.message), /register it with its sha256/);
    const health = await call(serve, "GET", "/v1/pools/cpu-0/health");
    assert.equal(health.body?.model_ref, "builtin:tiny");
    const served = await call(serve, "POST", "/v1/completions", {
      json: completion("builtin:tiny"),
    });
    assert.equal(served.status, 200, JSON.stringify(served.body));
    assert.equal((await catalogEntry(serve, local))?.trusted, false);
    const { models } = await engineModels(serve);
    assert.ok(!models.includes("loose"), `strict offers no untrusted name: ${models}`);
  });

  it("refuses a pull from an org outside catalog.allow; a verified pull from an allowed one serves", async () => {
    const refused = await pullText(serve, "hf:other/tiny-GGUF:F16", "other");
    assert.equal(refused.status, 400, refused.text);
    assert.equal(JSON.parse(refused.text).code, "UNTRUSTED_ARTIFACT");
    assert.match(JSON.parse(refused.text).message, /catalog\.allow/);
    assert.equal(hub.cdnRequests.length, 0, "nothing was downloaded");
    const allowed = await pullText(serve, "hf:org/tiny-GGUF:F16", "vouched-hf");
    assert.equal(allowed.status, 202, allowed.text);
    assert.match(allowed.text, /event: done/);
    assert.equal((await catalogEntry(serve, "hf:org/tiny-GGUF:F16"))?.trusted, true);
    const reload = await call(serve, "POST", "/v1/pools/cpu-0/reload", {
      json: { new_model_ref: "vouched-hf" },
    });
    assert.equal(reload.status, 202, JSON.stringify(reload.body));
    const task = await call(serve, "POST", "/v1/completions", { json: completion("vouched-hf") });
    assert.equal(task.status, 200, JSON.stringify(task.body));
  });

  it("MODP: the worker loads a catalog model from its handoff JSON and refuses the file once its bytes change", async () => {
    const digest = `sha256:${await modelDigest(local)}`;
    const created = await call(serve, "POST", "/v1/catalog/models", {
      json: { id: "vouched", source_url: local, digest },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const reload = (name: string) =>
      call(serve, "POST", "/v1/pools/cpu-0/reload", { json: { new_model_ref: name } });
    assert.equal((await reload("vouched")).status, 202);
    const handoffDir = join(serve.dataDir, "handoff");
    const handoffs = await Promise.all(
      (await readdir(handoffDir)).map(async (f) =>
        JSON.parse(await readFile(join(handoffDir, f), "utf8")),
      ),
    );
    const handoff = handoffs.find((h) => h.model.id === "vouched");
    assert.deepEqual(handoff?.model, { id: "vouched", path: local, digest, verified: true });
    assert.equal(typeof handoff?.metadata.size_bytes, "number");
    assert.equal((await reload("builtin:tiny")).status, 202);
    await flipLastByte(local);
    const refused = await reload("vouched");
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(errorCode(refused.body), "MODEL_DIGEST_MISMATCH");
    assert.match(String(refused.body?.message), /handoff says/);
    const health = await call(serve, "GET", "/v1/pools/cpu-0/health");
    assert.equal(health.body?.model_ref, "builtin:tiny");
  });
});

describe("catalog.trust permissive (the default)", { timeout: 300_000 }, () => {
  let serve: ServeProcess;
  let local = "";
  let stop: () => Promise<void>;
  let client: OpenAI;

  before(async () => {
    ({ serve, local, stop } = await serveWith("{}"));
    client = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => stop?.());

  it("serves an unverified model, warns once in the log, and marks it untrusted", async () => {
    assert.equal((await pullText(serve, local, "loose")).status, 202);
    for (let i = 0; i < 2; i++) {
      const task = await call(serve, "POST", "/v1/completions", { json: completion("loose") });
      assert.equal(task.status, 200, JSON.stringify(task.body));
    }
    const reload = await call(serve, "POST", "/v1/pools/cpu-0/reload", {
      json: { new_model_ref: "loose" },
    });
    assert.equal(reload.status, 202, JSON.stringify(reload.body));
    const warnings = serve.logs.filter(
      (l) =>
        l.msg === "serving an untrusted model (catalog.trust permissive)" &&
        l.model_ref === "loose",
    );
    assert.equal(warnings.length, 1, "one warning for the name, not one per task");
    const { models, untrusted } = await engineModels(serve);
    assert.ok(models.includes("loose") && untrusted.includes("loose"), `${models} / ${untrusted}`);
    assert.equal((await catalogEntry(serve, local))?.trusted, false);
    const listed = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [join(repoRoot, "bin", "llama-orch.js"), "models", "ls", "--addr", serve.address],
        (_error, stdout) => resolve(stdout),
      ),
    );
    const row = listed.split("\n").find((line) => line.includes(",loose\t"));
    assert.match(row ?? listed, /\tuntrusted\t/);
    await call(serve, "POST", "/v1/pools/cpu-0/reload", {
      json: { new_model_ref: "builtin:tiny" },
    });
  });

  it("/v1/models lists every catalog name of the served model, drops a retired alias, and GET /v1/models/{id} resolves one", async () => {
    const digest = `sha256:${await modelDigest(await tinyModelPath())}`;
    for (const id of ["tiny-a", "tiny-b"]) {
      const created = await call(serve, "POST", "/v1/catalog/models", {
        json: { id, source_url: "builtin:tiny", digest },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const ids = async () => (await client.models.list()).data.map((m) => m.id).sort();
    assert.deepEqual(await ids(), ["builtin:tiny", local, "loose", "tiny-a", "tiny-b"].sort());
    const retired = await call(serve, "POST", "/v1/catalog/models/tiny-b/state", {
      json: { state: "Retired" },
    });
    assert.equal(retired.status, 202);
    assert.deepEqual(await ids(), ["builtin:tiny", local, "loose", "tiny-a"].sort());
    const alias = await client.models.retrieve("tiny-a");
    assert.deepEqual([alias.id, alias.object, alias.owned_by], ["tiny-a", "model", "llama-orch"]);
    assert.equal((await client.models.retrieve(local)).id, local, "an id with slashes resolves");
    const gone = await client.models.retrieve("tiny-b").catch((error: unknown) => error);
    assert.ok(gone instanceof NotFoundError, String(gone));
    assert.equal(gone.code, "model_not_found");
  });
});
