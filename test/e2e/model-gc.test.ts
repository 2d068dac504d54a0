// Pull-cache collection through a real `llama-orch serve` and the fixture hub: a pull over
// models.cache_max_gb removes the least recently used pulled file, never the pool's or a pinned
// one; `llama-orch models gc --dry-run` lists, POST /v1/models/gc removes and reports freed bytes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../../src/common/paths.js";
import { type FixtureHub, startFixtureHub } from "../support/fixture-hub.js";
import { call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

type Entry = { id: string; local_path: string; pinned: boolean };

describe("models.cache_max_gb and models gc", { timeout: 300_000 }, () => {
  let hub: FixtureHub;
  let serve: ServeProcess;
  let size = 0;

  before(async () => {
    hub = await startFixtureHub();
    const tiny = await readFile(await tinyModelPath());
    size = tiny.length;
    const commit = "c".repeat(40);
    // `a` is a model a pool loads; the others only need to be files of the same size.
    for (const name of ["a", "b", "c", "d", "e"]) {
      const bytes = name === "a" ? tiny : randomBytes(size);
      hub.repos.set(`org/${name}`, { commit, files: { [`${name}-F16.gguf`]: { bytes } } });
    }
    const limitGb = (4.5 * size) / 1e9;
    const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
models: { cache_dir: "{data_dir}/pulled", cache_max_gb: ${limitGb} }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }
`;
    serve = await startServe({ config, env: { HF_ENDPOINT: hub.endpoint } });
  });
  after(async () => {
    await serve?.stop();
    await hub?.close();
  });

  async function pull(name: string): Promise<void> {
    const res = await fetch(`${serve.http}/v1/models/pull`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ref: `hf:org/${name}:F16`, alias: name }),
    });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    assert.match(text, /event: done/);
  }

  async function entries(): Promise<Map<string, Entry>> {
    const list = await call(serve, "GET", "/v1/catalog/models");
    const models = (list.body?.models ?? []) as Entry[];
    return new Map(models.map((m) => [m.id.replace(/^hf:org\/(.):F16$/, "$1"), m]));
  }

  it("a pull over the limit removes the least recently used pulled file, not the pool's or a pinned one", async () => {
    await pull("a");
    const reload = await call(serve, "POST", "/v1/pools/cpu-0/reload", {
      json: { new_model_ref: "a" },
    });
    assert.equal(reload.status, 202, JSON.stringify(reload.body));
    await pull("b");
    const pinned = await call(
      serve,
      "POST",
      `/v1/catalog/models/${encodeURIComponent("hf:org/b:F16")}/pin`,
      {
        json: { pinned: true },
      },
    );
    assert.equal(pinned.status, 200, JSON.stringify(pinned.body));
    assert.equal(pinned.body?.pinned, true);
    for (const name of ["c", "d"]) await pull(name);
    const before = await entries();
    assert.deepEqual([...before.keys()].sort(), ["a", "b", "c", "d"]);
    await pull("e"); // 5 files, room for 4.5: the oldest unused, unpinned one goes
    const afterPull = await entries();
    assert.deepEqual([...afterPull.keys()].sort(), ["a", "b", "d", "e"]);
    assert.equal(await exists(before.get("c")?.local_path ?? ""), false, "c's file is deleted");
    for (const name of ["a", "b", "d", "e"]) {
      assert.ok(await exists(afterPull.get(name)?.local_path ?? ""), `${name}'s file stays`);
    }
    assert.ok(serve.logs.some((l) => l.msg === "pull cache collected" && l.freed_bytes === size));
  });

  it("models gc --dry-run lists what would go; POST /v1/models/gc removes it and reports the bytes", async () => {
    const cli = join(repoRoot, "bin", "llama-orch.js");
    const dry = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        [cli, "models", "gc", "--dry-run", "--max-gb", "0", "--addr", serve.address],
        (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
      ),
    );
    assert.equal(dry.code, 0, dry.stdout);
    const lines = dry.stdout.trim().split("\n");
    assert.deepEqual(
      lines.slice(0, -1).map((l) => l.split("\t").slice(0, 2)),
      [
        ["would remove", "hf:org/d:F16"],
        ["would remove", "hf:org/e:F16"],
      ],
    );
    assert.match(lines.at(-1) ?? "", /^freed /);
    const kept = await entries();
    assert.ok(await exists(kept.get("d")?.local_path ?? ""), "a dry run removes nothing");

    const gc = await call(serve, "POST", "/v1/models/gc", { json: { max_bytes: 0 } });
    assert.equal(gc.status, 200, JSON.stringify(gc.body));
    assert.deepEqual(
      ((gc.body?.removed ?? []) as Entry[]).map((r) => r.id),
      ["hf:org/d:F16", "hf:org/e:F16"],
    );
    assert.equal(gc.body?.freed_bytes, 2 * size);
    assert.equal(gc.body?.cache_bytes, 2 * size, "the pool's model and the pinned one stay");
    assert.equal(await exists(kept.get("e")?.local_path ?? ""), false);

    const unpin = await call(
      serve,
      "POST",
      `/v1/catalog/models/${encodeURIComponent("hf:org/b:F16")}/pin`,
      {
        json: { pinned: false },
      },
    );
    assert.equal(unpin.status, 200);
    const again = await call(serve, "POST", "/v1/models/gc", { json: { max_bytes: 0 } });
    assert.deepEqual(
      ((again.body?.removed ?? []) as Entry[]).map((r) => r.id),
      ["hf:org/b:F16"],
    );
    assert.deepEqual([...(await entries()).keys()], ["a"]);
    const task = await call(serve, "POST", "/v1/completions", {
      json: { model: "a", prompt: "hi", max_tokens: 2 },
    });
    assert.equal(task.status, 200, "the pool's model was never touched");
  });
});
