// Pulls `ollama:` refs from a fixture Ollama registry on loopback (OCI manifest, blob by digest
// with a 307 to a CDN on another port, Range, 404s) and from local stores before any network,
// registered in a real LevelDB catalog.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { ModelCatalog } from "../../src/control/model-catalog.js";
import { ModelPulls, type Pull } from "../../src/control/model-pulls.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import type { LocalStores } from "../../src/models/local-stores/store-roots.js";
import type { PullEvent } from "../../src/models/pull/pull-events.js";
import { CatalogStore } from "../../src/store/catalog-store.js";
import { openStore, type Store } from "../../src/store/db.js";
import { sha256 } from "../support/fixture-hub.js";
import {
  type FixtureRegistry,
  MODEL_LAYER,
  startFixtureRegistry,
} from "../support/fixture-registry.js";
import { writeHfSnapshot, writeOllamaModel } from "../support/local-stores.js";

const TEMPLATE = "application/vnd.ollama.image.template";
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

describe("pulls from an Ollama registry", () => {
  let registry: FixtureRegistry;
  let model: Buffer;
  let dir = "";
  let store: Store;
  let catalog: ModelCatalog;

  before(async () => {
    registry = await startFixtureRegistry();
    model = await readFile(await ensureModel("tiny", "q8_0"));
  });
  after(() => registry.close());

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-ollama-"));
    store = await openStore(join(dir, "db"));
    catalog = new ModelCatalog(new CatalogStore(store), [join(dir, "cache")]);
    registry.requests.length = 0;
    registry.cdnRequests.length = 0;
    registry.chunkDelayMs = 0;
    registry.dropAfter = { bytes: 0, times: 0 };
    registry.tokenRepos.clear();
    registry.publish("library/tiny", "latest", [
      { mediaType: MODEL_LAYER, bytes: model },
      { mediaType: TEMPLATE, bytes: Buffer.from("{{ .Prompt }}") },
    ]);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function pulls(stores: Partial<LocalStores> = {}, hub = "http://127.0.0.1:9") {
    return new ModelPulls({
      catalog,
      fetch: {
        hub: { endpoint: hub },
        cacheDir: join(dir, "cache"),
        modelDirs: [],
        progressMs: 1,
        registry: { endpoint: registry.endpoint },
        stores,
      },
      provenancePath: join(dir, "provenance.jsonl"),
      log: pino({ level: "silent" }),
    });
  }

  const blobPath = () => join(dir, "cache", "ollama", "blobs", `sha256-${sha256(model)}`);

  it("ollama:tiny takes the manifest's model layer through the CDN redirect, verified, with Ollama's names", async () => {
    const events = await outcome(pulls().start("ollama:tiny"));
    assert.deepEqual(events.at(-1), {
      type: "done",
      id: "ollama:tiny:latest",
      digest: `sha256:${sha256(model)}`,
    });
    assert.deepEqual(
      [events[0]?.type, events.at(-2)?.type],
      ["resolving", "verifying"],
      "resolving first, verifying before done",
    );
    assert.ok(events.some((e) => e.type === "downloading" && e.total === model.length));
    const manifestGet = registry.requests[0];
    assert.equal(manifestGet?.path, "/v2/library/tiny/manifests/latest");
    assert.match(
      manifestGet?.accept ?? "",
      /application\/vnd\.docker\.distribution\.manifest\.v2\+json/,
    );
    assert.ok(
      registry.requests.some((r) => r.path === `/v2/library/tiny/blobs/sha256:${sha256(model)}`),
    );
    assert.deepEqual(
      registry.cdnRequests.map((r) => r.path),
      [`/blobs/${sha256(model)}`],
      "only the model layer is fetched, from the CDN the registry redirected to",
    );
    const entry = await catalog.lookup("tiny:latest");
    assert.equal(entry?.id, "ollama:tiny:latest");
    assert.deepEqual(entry?.aliases, ["ollama:tiny", "tiny:latest", "tiny"]);
    assert.equal(entry?.verification, "PASS");
    assert.equal(entry?.localPath, blobPath());
    assert.ok((await readFile(blobPath())).equals(model));
    const line = JSON.parse((await readFile(join(dir, "provenance.jsonl"), "utf8")).trim());
    assert.equal(line.ref, "ollama:tiny");
    assert.equal(line.url, `${registry.endpoint}/v2/library/tiny/blobs/sha256:${sha256(model)}`);
    assert.match(line.commit, /^sha256:[0-9a-f]{64}$/);
    assert.equal(line.verified, true);
    assert.equal(line.local_store, null);
  });

  it("a blob dropped mid-body resumes with Range from the partial file and still verifies", async () => {
    registry.dropAfter = { bytes: 1 << 16, times: 1 };
    const events = await outcome(pulls().start("ollama:tiny"));
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    assert.deepEqual(
      registry.cdnRequests.map((r) => r.range),
      [undefined, `bytes=${1 << 16}-`],
    );
    assert.ok((await readFile(blobPath())).equals(model));
  });

  it("a partial blob left by an earlier run is resumed with Range, not fetched again", async () => {
    const half = Math.floor(model.length / 2);
    await mkdir(dirname(blobPath()), { recursive: true });
    await writeFile(`${blobPath()}.partial`, model.subarray(0, half));
    const events = await outcome(pulls().start("ollama:tiny"));
    assert.equal(events.at(-1)?.type, "done", JSON.stringify(events.at(-1)));
    assert.deepEqual(
      registry.cdnRequests.map((r) => r.range),
      [`bytes=${half}-`],
    );
    assert.ok((await readFile(blobPath())).equals(model));
  });

  it("two refs of one blob pulled at once share its file: one download, both done", async () => {
    registry.chunkDelayMs = 5; // keeps the first download in flight while the second resolves
    const many = pulls();
    const both = await Promise.all([
      outcome(many.start("ollama:tiny")),
      outcome(many.start("ollama:tiny:latest")),
    ]);
    assert.deepEqual(
      both.map((events) => events.at(-1)?.type),
      ["done", "done"],
    );
    assert.equal(registry.cdnRequests.length, 1, "the second waited for the first's file");
    assert.ok((await readFile(blobPath())).equals(model));
  });

  it("wrong bytes end in MODEL_DIGEST_MISMATCH: the partial deleted, nothing registered", async () => {
    registry.publish("library/bad", "latest", [
      { mediaType: MODEL_LAYER, bytes: model, corrupt: true },
    ]);
    const events = await outcome(pulls().start("ollama:bad"));
    const last = events.at(-1);
    assert.equal(last?.type === "error" && last.code, "MODEL_DIGEST_MISMATCH");
    assert.deepEqual(await readdir(join(dir, "cache", "ollama", "blobs")), []);
    assert.deepEqual(await catalog.list(), []);
  });

  it("an unknown tag is MODEL_NOT_FOUND naming the ref; a manifest without a GGUF layer is MODEL_UNSUPPORTED", async () => {
    const missing = (await outcome(pulls().start("ollama:tiny:nope"))).at(-1);
    assert.equal(missing?.type === "error" && missing.code, "MODEL_NOT_FOUND");
    assert.match(missing?.type === "error" ? missing.message : "", /ollama:tiny:nope.*404/);
    registry.publish("library/lora", "latest", [
      { mediaType: "application/vnd.ollama.image.adapter", bytes: Buffer.from("adapter") },
    ]);
    const layerless = (await outcome(pulls().start("ollama:lora"))).at(-1);
    assert.equal(layerless?.type === "error" && layerless.code, "MODEL_UNSUPPORTED");
    assert.match(
      layerless?.type === "error" ? layerless.message : "",
      /no GGUF model layer.*application\/vnd\.ollama\.image\.adapter/,
    );
  });

  it("a namespaced model is fetched from its namespace and keeps its full name as id", async () => {
    registry.publish("someone/tiny", "v2", [{ mediaType: MODEL_LAYER, bytes: model }]);
    const done = (await outcome(pulls().start("ollama:someone/tiny:v2"))).at(-1);
    assert.deepEqual(done, {
      type: "done",
      id: "ollama:someone/tiny:v2",
      digest: `sha256:${sha256(model)}`,
    });
    assert.equal(registry.requests[0]?.path, "/v2/someone/tiny/manifests/v2");
  });

  it("a registry that wants a token gets the anonymous one its 401 names; the CDN never sees it", async () => {
    registry.tokenRepos.add("library/tiny");
    const done = (await outcome(pulls().start("ollama:tiny"))).at(-1);
    registry.tokenRepos.clear();
    assert.equal(done?.type, "done", JSON.stringify(done));
    const paths = registry.requests.map((r) => `${r.path} ${r.authorization ?? "-"}`);
    assert.deepEqual(paths, [
      "/v2/library/tiny/manifests/latest -",
      "/token?service=fixture&scope=repository%3Alibrary%2Ftiny%3Apull -",
      "/v2/library/tiny/manifests/latest Bearer t-library/tiny",
      `/v2/library/tiny/blobs/sha256:${sha256(model)} Bearer t-library/tiny`,
    ]);
    assert.deepEqual(
      registry.cdnRequests.map((r) => r.authorization),
      [undefined],
    );
  });

  it("a model already in Ollama's store is used where it lies: the registry is not asked", async () => {
    const ollama = join(dir, "ollama");
    const host = new URL(registry.endpoint).host;
    await writeOllamaModel(ollama, host, "library/tiny", "latest", [
      { mediaType: MODEL_LAYER, bytes: model },
    ]);
    const done = (await outcome(pulls({ ollama }).start("ollama:tiny"))).at(-1);
    assert.equal(done?.type, "done", JSON.stringify(done));
    assert.deepEqual(registry.requests, []);
    const entry = await catalog.get("ollama:tiny:latest");
    assert.equal(entry.localPath, join(ollama, "blobs", `sha256-${sha256(model)}`));
    assert.equal(entry.verification, "PASS");
    assert.equal(entry.metadata.local_store, "ollama-store");
    const line = JSON.parse((await readFile(join(dir, "provenance.jsonl"), "utf8")).trim());
    assert.equal(line.local_store, "ollama-store");
  });

  it("a damaged blob in Ollama's store is left alone and the model downloaded instead", async () => {
    const ollama = join(dir, "ollama");
    const host = new URL(registry.endpoint).host;
    await writeOllamaModel(ollama, host, "library/tiny", "latest", [
      { mediaType: MODEL_LAYER, bytes: model, corrupt: true },
    ]);
    const done = (await outcome(pulls({ ollama }).start("ollama:tiny"))).at(-1);
    assert.equal(done?.type, "done", JSON.stringify(done));
    assert.equal((await catalog.get("ollama:tiny:latest")).localPath, blobPath());
    assert.equal(registry.cdnRequests.length, 1);
  });

  it("an hf: ref already in the Hugging Face cache downloads nothing (the hub is unreachable)", async () => {
    const hfCache = join(dir, "hf");
    await writeHfSnapshot(hfCache, "org/tiny-GGUF", COMMIT, { "tiny-Q8_0.gguf": { bytes: model } });
    const done = (await outcome(pulls({ hfCache }).start("hf:org/tiny-GGUF:Q8_0"))).at(-1);
    assert.equal(done?.type, "done", JSON.stringify(done));
    const entry = await catalog.get("hf:org/tiny-GGUF:Q8_0");
    assert.equal(
      entry.localPath,
      join(hfCache, "models--org--tiny-GGUF", "snapshots", COMMIT, "tiny-Q8_0.gguf"),
    );
    assert.equal(entry.verification, "PASS");
    assert.equal(entry.metadata.commit, COMMIT);
    const other = (await outcome(pulls({ hfCache }).start("hf:org/tiny-GGUF:Q4_K_M"))).at(-1);
    assert.equal(
      other?.type === "error" && other.code,
      "MODEL_SOURCE_UNAVAILABLE",
      "not cached: the hub is asked",
    );
  });
});
