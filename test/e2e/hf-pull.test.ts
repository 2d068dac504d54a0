// Pulls from a fixture Hugging Face hub on loopback (HEAD resolve, 302 to a CDN on another port,
// LFS headers, Range): verified, resumed, shared, refused; registered in a real LevelDB catalog.
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { ModelCatalog } from "../../src/control/model-catalog.js";
import { ModelPulls, type Pull } from "../../src/control/model-pulls.js";
import { partialPath } from "../../src/models/pull/download.js";
import type { PullEvent } from "../../src/models/pull/pull-events.js";
import { CatalogStore } from "../../src/store/catalog-store.js";
import { openStore, type Store } from "../../src/store/db.js";
import { type FixtureHub, sha256, startFixtureHub } from "../support/fixture-hub.js";
import { tinyModelPath } from "../support/tiny.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function outcome(pull: Pull): Promise<PullEvent[]> {
  return new Promise((resolve) => {
    const events: PullEvent[] = [];
    pull.subscribe((event) => {
      events.push(event);
      if (event.type === "done" || event.type === "error") resolve(events);
    });
  });
}

describe("pulls from a Hugging Face hub", () => {
  let hub: FixtureHub;
  let model: Buffer;
  let dir = "";
  let store: Store;
  let catalog: ModelCatalog;
  let pulls: ModelPulls;

  before(async () => {
    hub = await startFixtureHub();
    model = await readFile(await tinyModelPath());
  });
  after(() => hub.close());

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-pull-"));
    store = await openStore(join(dir, "db"));
    catalog = new ModelCatalog(new CatalogStore(store), [join(dir, "cache")]);
    hub.cdnRequests.length = 0;
    hub.hubAuthorizations.length = 0;
    hub.chunkDelayMs = 0;
    hub.repos.clear();
    hub.repos.set("org/tiny-GGUF", {
      commit: COMMIT,
      files: {
        "tiny-F16.gguf": { bytes: model },
        "tiny-Q8_0.gguf": { bytes: model.subarray(0, 4096) },
        "README.md": { bytes: Buffer.from("# tiny") },
      },
    });
    pulls = pullsWith({});
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function pullsWith(env: { token?: string; progressMs?: number }) {
    const hubOptions = { endpoint: hub.endpoint, ...(env.token ? { token: env.token } : {}) };
    return new ModelPulls({
      catalog,
      fetch: {
        hub: hubOptions,
        cacheDir: join(dir, "cache"),
        modelDirs: [],
        progressMs: env.progressMs ?? 1,
      },
      provenancePath: join(dir, "provenance.jsonl"),
      log: pino({ level: "silent" }),
    });
  }

  it("hf:org/repo:QUANT picks the quant's file, verifies its LFS sha256 and registers it", async () => {
    const events = await outcome(pulls.start("hf:org/tiny-GGUF:F16", "tiny-hf"));
    const kinds = events.map((e) => e.type);
    assert.deepEqual([kinds[0], kinds.at(-2), kinds.at(-1)], ["resolving", "verifying", "done"]);
    const last = events.filter((e) => e.type === "downloading").at(-1);
    assert.deepEqual(last && { bytes: last.bytes, total: last.total }, {
      bytes: model.length,
      total: model.length,
    });
    const entry = await catalog.get("hf:org/tiny-GGUF:F16");
    assert.equal(entry.digest, `sha256:${sha256(model)}`);
    assert.equal(entry.verification, "PASS");
    assert.deepEqual(entry.aliases, ["tiny-hf"]);
    assert.equal(entry.metadata.commit, COMMIT);
    assert.equal(entry.metadata["gguf.architecture"], "llama");
    assert.equal(
      entry.localPath,
      join(dir, "cache", "hf", "org", "tiny-GGUF", COMMIT, "tiny-F16.gguf"),
    );
    assert.deepEqual(await readFile(entry.localPath), model);
    const provenance = JSON.parse((await readFile(join(dir, "provenance.jsonl"), "utf8")).trim());
    assert.equal(provenance.digest, entry.digest);
    assert.equal(provenance.commit, COMMIT);
    assert.equal(provenance.verified, true);
  });

  it("a split GGUF's parts all download beside each other; the entry is the first part", async () => {
    const half = model.length / 2;
    const parts = {
      "s/m-Q8_0-00001-of-00002.gguf": model.subarray(0, half),
      "s/m-Q8_0-00002-of-00002.gguf": model.subarray(half),
    };
    hub.repos.set("org/split", {
      commit: COMMIT,
      files: Object.fromEntries(Object.entries(parts).map(([p, bytes]) => [p, { bytes }])),
    });
    const events = await outcome(pulls.start("hf:org/split:Q8_0"));
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    const entry = await catalog.get("hf:org/split:Q8_0");
    const folder = join(dir, "cache", "hf", "org", "split", COMMIT);
    assert.equal(entry.localPath, join(folder, "m-Q8_0-00001-of-00002.gguf"));
    assert.deepEqual(
      await readFile(join(folder, "m-Q8_0-00002-of-00002.gguf")),
      parts["s/m-Q8_0-00002-of-00002.gguf"],
    );
    const last = events.filter((e) => e.type === "downloading").at(-1);
    assert.equal(last?.type === "downloading" && last.total, model.length);
  });

  it("an unknown quant lists the quants the repo has", async () => {
    const [, error] = await outcome(pulls.start("hf:org/tiny-GGUF:Q4_K_M"));
    assert.equal(error?.type === "error" && error.code, "MODEL_NOT_FOUND");
    assert.match(
      error?.type === "error" ? error.message : "",
      /no Q4_K_M GGUF; available quants: F16, Q8_0/,
    );
  });

  it("a gated repo: 401 without a token names HF_TOKEN; with it the hub gets it, the CDN never", async () => {
    hub.repos.set("org/gated", {
      commit: COMMIT,
      token: "hf_secret",
      files: { "g-Q8_0.gguf": { bytes: model } },
    });
    const [, refused] = await outcome(pulls.start("hf:org/gated/g-Q8_0.gguf"));
    assert.equal(refused?.type === "error" && refused.code, "MODEL_SOURCE_UNAUTHORIZED");
    assert.match(refused?.type === "error" ? refused.message : "", /HF_TOKEN/);
    const events = await outcome(
      pullsWith({ token: "hf_secret" }).start("hf:org/gated/g-Q8_0.gguf"),
    );
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    assert.ok(hub.hubAuthorizations.includes("Bearer hf_secret"));
    assert.ok(hub.cdnRequests.length > 0);
    assert.ok(hub.cdnRequests.every((r) => r.authorization === undefined));
  });

  it("a missing file is MODEL_NOT_FOUND", async () => {
    const [, error] = await outcome(pulls.start("hf:org/tiny-GGUF/absent.gguf"));
    assert.equal(error?.type === "error" && error.code, "MODEL_NOT_FOUND");
  });

  it("a connection dropped mid-body resumes with Range and the digest matches", async () => {
    hub.dropAfter = { bytes: 1 << 20, times: 2 };
    const events = await outcome(pulls.start("hf:org/tiny-GGUF/tiny-F16.gguf"));
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    // Each retry asks for the bytes after what reached the disk (in-flight bytes of a dropped
    // socket may be lost, so the offsets are at most, not exactly, 1 and 2 MiB).
    const ranges = hub.cdnRequests.map((r) => r.range);
    assert.equal(ranges.length, 3);
    assert.equal(ranges[0], undefined);
    const [first = 0, second = 0] = ranges
      .slice(1)
      .map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? "")?.[1]));
    assert.ok(first > 0 && first <= 1 << 20 && second > first, String(ranges));
    const entry = await catalog.get("hf:org/tiny-GGUF/tiny-F16.gguf");
    assert.deepEqual(await readFile(entry.localPath), model);
  });

  it("a restart mid-pull resumes from the partial file left on disk", async () => {
    const dest = join(dir, "cache", "hf", "org", "tiny-GGUF", COMMIT, "tiny-F16.gguf");
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(partialPath(dest), model.subarray(0, 3000));
    const events = await outcome(pulls.start("hf:org/tiny-GGUF/tiny-F16.gguf"));
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    assert.deepEqual(
      hub.cdnRequests.map((r) => r.range),
      ["bytes=3000-"],
    );
    assert.deepEqual(await readFile(dest), model);
  });

  it("wrong bytes are MODEL_DIGEST_MISMATCH and leave no file behind", async () => {
    hub.repos.set("org/bad", {
      commit: COMMIT,
      files: { "b-F16.gguf": { bytes: model, corrupt: true } },
    });
    const events = await outcome(pulls.start("hf:org/bad/b-F16.gguf"));
    const last = events.at(-1);
    assert.equal(last?.type === "error" && last.code, "MODEL_DIGEST_MISMATCH");
    assert.deepEqual(await readdir(join(dir, "cache", "hf", "org", "bad", COMMIT)), []);
    assert.deepEqual(await catalog.list(), []);
  });

  it("a file larger than the free disk space is refused before anything is downloaded", async () => {
    const huge = 1e15;
    hub.repos.set("org/huge", {
      commit: COMMIT,
      files: { "h-F16.gguf": { bytes: model, claimedSize: huge } },
    });
    const events = await outcome(pulls.start("hf:org/huge/h-F16.gguf"));
    const last = events.at(-1);
    assert.equal(last?.type === "error" && last.code, "INSUFFICIENT_STORAGE");
    assert.match(
      last?.type === "error" ? last.message : "",
      new RegExp(`needs ${huge} more bytes .* only \\d+ are free`),
    );
    assert.deepEqual(hub.cdnRequests, []);
  });

  it("two concurrent pulls of one ref share one download and both see it finish", async () => {
    hub.chunkDelayMs = 5;
    const first = pulls.start("hf:org/tiny-GGUF:F16");
    const second = pulls.start("hf:org/tiny-GGUF:F16", "second-name");
    assert.equal(second.id, first.id);
    const [a, b] = await Promise.all([outcome(first), outcome(second)]);
    assert.equal(a.at(-1)?.type, "done");
    assert.deepEqual(b.at(-1), a.at(-1));
    assert.equal(hub.cdnRequests.length, 1);
    assert.deepEqual((await catalog.get("hf:org/tiny-GGUF:F16")).aliases, ["second-name"]);
  });

  it("a slow server: downloading events come at most once per progress interval", async () => {
    hub.chunkDelayMs = 10;
    const started = Date.now();
    const events = await outcome(pullsWith({ progressMs: 100 }).start("hf:org/tiny-GGUF:F16"));
    const elapsed = Date.now() - started;
    const downloading = events.filter((e) => e.type === "downloading");
    assert.equal(events.at(-1)?.type, "done");
    // One per interval, plus the first (resumed bytes) and the last (file complete).
    assert.ok(
      downloading.length <= Math.ceil(elapsed / 100) + 2,
      `${downloading.length} in ${elapsed} ms`,
    );
    assert.ok(downloading.length >= 2);
    assert.ok(downloading.some((e) => e.type === "downloading" && e.bytesPerS > 0));
  });

  it("a file already pulled is not downloaded again", async () => {
    await outcome(pulls.start("hf:org/tiny-GGUF:F16"));
    hub.cdnRequests.length = 0;
    const events = await outcome(pulls.start("hf:org/tiny-GGUF:F16"));
    assert.equal(events.at(-1)?.type, "done");
    assert.deepEqual(hub.cdnRequests, []);
    await access((await catalog.get("hf:org/tiny-GGUF:F16")).localPath);
  });
});
