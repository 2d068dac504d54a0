// Through a real `llama-orch serve`: an `ollama:` pull over HTTP with SSE progress from a fixture
// registry, then `models import` of a Hugging Face cache and an Ollama store built on disk, and a
// pool that loads those files where they lie and serves tasks by their imported names.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createParser } from "eventsource-parser";
import { request } from "undici";
import { repoRoot } from "../../src/common/paths.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { sha256 } from "../support/fixture-hub.js";
import {
  type FixtureRegistry,
  MODEL_LAYER,
  startFixtureRegistry,
} from "../support/fixture-registry.js";
import { writeHfSnapshot, writeOllamaModel } from "../support/local-stores.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
models: { cache_dir: "{data_dir}/pulled" }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }
`;
const COMMIT = "3333333333333333333333333333333333333333";

describe("models on disk and in an Ollama registry, served", () => {
  let registry: FixtureRegistry;
  let serve: ServeProcess;
  let stores = "";
  let model: Buffer;

  before(async () => {
    registry = await startFixtureRegistry();
    // Not the pool's builtin:tiny (f16): a task by these names is served only once loaded.
    model = await readFile(await ensureModel("tiny", "q8_0"));
    registry.publish("library/remote", "latest", [{ mediaType: MODEL_LAYER, bytes: model }]);
    stores = await mkdtemp(join(tmpdir(), "llama-orch-stores-"));
    await writeHfSnapshot(join(stores, "hf"), "org/tiny-GGUF", COMMIT, {
      "tiny-Q8_0.gguf": { bytes: model },
    });
    const host = new URL(registry.endpoint).host;
    await writeOllamaModel(join(stores, "ollama"), host, "library/stored", "latest", [
      { mediaType: MODEL_LAYER, bytes: model },
    ]);
    serve = await startServe({
      config,
      env: {
        OLLAMA_REGISTRY: registry.endpoint,
        // Nothing listens there: an hf: ref is served only if the cache has it.
        HF_ENDPOINT: "http://127.0.0.1:9",
        HF_HUB_CACHE: join(stores, "hf"),
        OLLAMA_MODELS: join(stores, "ollama"),
      },
    });
  });
  after(async () => {
    await serve?.stop();
    await registry.close();
    await rm(stores, { recursive: true, force: true });
  });

  async function post(path: string, body: unknown) {
    const res = await request(`${serve.http}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const bin = join(repoRoot, "bin", "llama-orch.js");
    return new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args, "--addr", serve.address], (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
  }

  async function reloadAndServe(name: string): Promise<void> {
    const reloaded = await post("/v1/pools/cpu-0/reload", { new_model_ref: name });
    assert.equal(reloaded.status, 202, reloaded.text);
    assert.equal(JSON.parse(reloaded.text).model_digest, sha256(model), "the imported file loaded");
    const health = await request(`${serve.http}/v1/pools/cpu-0/health`);
    assert.equal(((await health.body.json()) as { model_ref: string }).model_ref, name);
    const served = await post("/v1/completions", { model: name, prompt: "hi", max_tokens: 2 });
    assert.equal(served.status, 200, served.text);
  }

  it("POST /v1/models/pull of an ollama: ref streams progress and registers Ollama's names", async () => {
    const answer = await post("/v1/models/pull", { ref: "ollama:remote" });
    assert.equal(answer.status, 202, answer.text);
    const frames: { event: string; data: Record<string, unknown> }[] = [];
    const parser = createParser({
      onEvent: (m) => frames.push({ event: m.event ?? "message", data: JSON.parse(m.data) }),
    });
    parser.feed(answer.text);
    const events = frames.map((f) => f.event);
    assert.equal(events[0], "resolving");
    assert.ok(events.includes("downloading"), events.join(","));
    assert.deepEqual(events.slice(-2), ["verifying", "done"]);
    assert.deepEqual(frames.at(-1)?.data, {
      pull_id: answer.headers["x-pull-id"],
      id: "ollama:remote:latest",
      digest: `sha256:${sha256(model)}`,
    });
    const unknown = await post("/v1/models/pull", { ref: "ollama:remote:nope" });
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(JSON.parse(unknown.text).code, "MODEL_NOT_FOUND");
  });

  it("llama-orch models import registers both stores in place; a pool loads them and serves tasks by their names", async () => {
    const imported = await cli(["models", "import", "--json"]);
    assert.equal(imported.code, 0, imported.stderr);
    const entries = imported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const hf = entries.find((e) => e.id === "hf:org/tiny-GGUF/tiny-Q8_0.gguf");
    const ollama = entries.find((e) => e.id === "ollama:stored:latest");
    const snapshot = join(stores, "hf", "models--org--tiny-GGUF", "snapshots", COMMIT);
    assert.equal(hf?.localPath, join(snapshot, "tiny-Q8_0.gguf"));
    assert.deepEqual(hf?.aliases, ["tiny-Q8_0"]);
    assert.equal(ollama?.localPath, join(stores, "ollama", "blobs", `sha256-${sha256(model)}`));
    assert.deepEqual(ollama?.aliases, ["stored:latest", "stored"]);
    assert.ok(
      [hf, ollama].every((e) => e.verification === 2),
      "VERIFICATION_PASS",
    );
    await reloadAndServe("tiny-Q8_0");
    await reloadAndServe("stored:latest");
  });

  it("hf: and ollama: refs already in the stores are not downloaded again; POST /v1/models/import answers the same models", async () => {
    await reloadAndServe("hf:org/tiny-GGUF:Q8_0");
    await reloadAndServe("ollama:stored");
    assert.deepEqual(
      registry.requests.filter((r) => r.path.includes("/stored/")),
      [],
      "the registry was never asked for the stored model",
    );
    const answer = await post("/v1/models/import", { stores: ["ollama-store"] });
    assert.equal(answer.status, 200, answer.text);
    const [only, ...rest] = JSON.parse(answer.text).models;
    assert.equal(rest.length, 0);
    assert.deepEqual(only, {
      id: "ollama:stored:latest",
      aliases: ["stored:latest", "stored", "ollama:stored"],
      digest: `sha256:${sha256(model)}`,
      verified: true,
      local_path: join(stores, "ollama", "blobs", `sha256-${sha256(model)}`),
      local_store: "ollama-store",
    });
    const blobs = await readdir(join(stores, "ollama", "blobs"));
    const snapshot = join(stores, "hf", "models--org--tiny-GGUF", "snapshots", COMMIT);
    assert.deepEqual(
      [blobs, await readdir(snapshot)],
      [[`sha256-${sha256(model)}`], ["tiny-Q8_0.gguf"]],
      "loading wrote nothing into the other tools' stores",
    );
    const refused = await post("/v1/models/import", { ollama_dir: "/etc" });
    assert.equal(refused.status, 400, refused.text);
    assert.match(JSON.parse(refused.text).message, /outside the model directories/);
  });
});
