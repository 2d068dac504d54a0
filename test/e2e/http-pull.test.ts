// Pull by `hf:` ref through a real `llama-orch serve` (HF_ENDPOINT at a loopback fixture hub):
// SSE progress, the catalog entry, a task served by the pull's alias, and refusals as HTTP errors.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createParser } from "eventsource-parser";
import { request } from "undici";
import { repoRoot } from "../../src/common/paths.js";
import { type FixtureHub, sha256, startFixtureHub } from "../support/fixture-hub.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
models: { cache_dir: "{data_dir}/pulled" }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }
`;

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

describe("POST /v1/models/pull", () => {
  let hub: FixtureHub;
  let serve: ServeProcess;
  let model: Buffer;

  before(async () => {
    hub = await startFixtureHub();
    model = await readFile(await tinyModelPath());
    const commit = "feedfacefeedfacefeedfacefeedfacefeedface";
    hub.repos.set("org/tiny-GGUF", { commit, files: { "tiny-F16.gguf": { bytes: model } } });
    hub.repos.set("org/gated", {
      commit,
      token: "hf_x",
      files: { "g-F16.gguf": { bytes: model } },
    });
    serve = await startServe({ config, env: { HF_ENDPOINT: hub.endpoint, HF_TOKEN: "" } });
  });
  after(async () => {
    await serve.stop();
    await hub.close();
  });

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const bin = join(repoRoot, "bin", "llama-orch.js");
    return new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args, "--addr", serve.address], (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
  }

  async function post(path: string, body: unknown) {
    const res = await request(`${serve.http}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async function pull(body: unknown) {
    const res = await request(`${serve.http}/v1/models/pull`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    const frames: Frame[] = [];
    const parser = createParser({
      onEvent: (m) => frames.push({ event: m.event ?? "message", data: JSON.parse(m.data) }),
    });
    parser.feed(text);
    return { status: res.statusCode, headers: res.headers, text, frames };
  }

  it("streams resolving, downloading, verifying, done; the alias then serves a task", async () => {
    const answer = await pull({ ref: "hf:org/tiny-GGUF:F16", alias: "tiny-pulled" });
    assert.equal(answer.status, 202, answer.text);
    assert.equal(answer.headers["content-type"], "text/event-stream");
    const events = answer.frames.map((f) => f.event);
    assert.equal(events[0], "resolving");
    assert.ok(events.includes("downloading"));
    assert.deepEqual(events.slice(-2), ["verifying", "done"]);
    const done = answer.frames.at(-1)?.data;
    assert.deepEqual(done, {
      pull_id: answer.headers["x-pull-id"],
      id: "hf:org/tiny-GGUF:F16",
      digest: `sha256:${sha256(model)}`,
    });
    const completion = { model: "tiny-pulled", prompt: "hello", max_tokens: 2 };
    const served = await post("/v1/completions", completion);
    assert.equal(served.status, 200, served.text);
  });

  it("llama-orch models pull --json prints each event; models ls lists the entry and its alias", async () => {
    hub.repos.set("org/cli", {
      commit: "c".repeat(40),
      files: { "c-Q8_0.gguf": { bytes: model } },
    });
    const pulled = await cli([
      "models",
      "pull",
      "hf:org/cli:Q8_0",
      "--alias",
      "cli-model",
      "--json",
    ]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const lines = pulled.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok("resolving" in lines[0]);
    assert.deepEqual(lines.at(-1).done, {
      id: "hf:org/cli:Q8_0",
      digest: `sha256:${sha256(model)}`,
    });
    const listed = await cli(["models", "ls", "--json"]);
    const entry = listed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.id === "hf:org/cli:Q8_0");
    assert.deepEqual(entry?.aliases, ["cli-model"]);
    assert.equal(entry?.verification, 2, "VERIFICATION_PASS");
    const refused = await cli(["models", "pull", "hf:org/cli:Q2_K"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /MODEL_NOT_FOUND: .*available quants: Q8_0/);
  });

  it("a pool reloads to a catalog alias, serves tasks by it, and refuses an unknown name", async () => {
    const reload = (name: string) => post("/v1/pools/cpu-0/reload", { new_model_ref: name });
    const reloaded = await reload("cli-model");
    assert.equal(reloaded.status, 202, reloaded.text);
    const health = await request(`${serve.http}/v1/pools/cpu-0/health`);
    assert.equal(((await health.body.json()) as { model_ref: string }).model_ref, "cli-model");
    const served = await post("/v1/completions", {
      model: "cli-model",
      prompt: "hi",
      max_tokens: 2,
    });
    assert.equal(served.status, 200, served.text);
    const unknown = await reload("no-such-model");
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(JSON.parse(unknown.text).code, "CATALOG_ENTRY_NOT_FOUND");
    assert.equal((await reload("builtin:tiny")).status, 202);
  });

  it("a refused or missing source is an HTTP error before any stream", async () => {
    const gated = await pull({ ref: "hf:org/gated/g-F16.gguf" });
    assert.equal(gated.status, 502, gated.text);
    assert.equal(JSON.parse(gated.text).code, "MODEL_SOURCE_UNAUTHORIZED");
    const missing = await pull({ ref: "hf:org/tiny-GGUF/none.gguf" });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(JSON.parse(missing.text).code, "MODEL_NOT_FOUND");
    const bad = await pull({ ref: "tiny-pulled" });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(JSON.parse(bad.text).code, "INVALID_PARAMS");
    const outside = await pull({ ref: "/etc/passwd" });
    assert.equal(outside.status, 400, outside.text);
    assert.match(JSON.parse(outside.text).message, /outside the model directories/);
  });
});

describe("a pool configured with an hf: ref", () => {
  let hub: FixtureHub;
  let serve: ServeProcess;

  before(async () => {
    hub = await startFixtureHub();
    const bytes = await readFile(await tinyModelPath());
    hub.repos.set("org/boot", { commit: "b".repeat(40), files: { "boot-F16.gguf": { bytes } } });
    const pooled = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
models: { cache_dir: "{data_dir}/pulled" }
pools:
  - { id: cpu-0, model: "hf:org/boot:F16", backend: cpu, slots: 1, context_size: 512, threads: 1 }
`;
    serve = await startServe({ config: pooled, env: { HF_ENDPOINT: hub.endpoint } });
  });
  after(async () => {
    await serve.stop();
    await hub.close();
  });

  it("is pulled at serve start, then ready and serving tasks by that ref", async () => {
    assert.ok(hub.cdnRequests.length >= 1);
    const res = await request(`${serve.http}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hf:org/boot:F16", prompt: "hi", max_tokens: 2 }),
    });
    assert.equal(res.statusCode, 200, await res.body.text());
  });
});
