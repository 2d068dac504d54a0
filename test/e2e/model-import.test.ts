// Imports from a Hugging Face hub cache and an Ollama store built on disk as those tools lay them
// out (real symlinks, manifest JSON): registered in place in a real LevelDB catalog, by digest.
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { ModelCatalog } from "../../src/control/model-catalog.js";
import { ModelImports } from "../../src/control/model-imports.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { CatalogStore } from "../../src/store/catalog-store.js";
import { openStore, type Store } from "../../src/store/db.js";
import { sha256 } from "../support/fixture-hub.js";
import { MODEL_LAYER } from "../support/fixture-registry.js";
import { writeHfSnapshot, writeOllamaModel } from "../support/local-stores.js";

const MAIN = "1111111111111111111111111111111111111111";
const OLD = "2222222222222222222222222222222222222222";

describe("models import from the local stores", () => {
  let dir = "";
  let store: Store;
  let catalog: ModelCatalog;
  let imports: ModelImports;
  let tiny: Buffer;
  let other: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-import-"));
    tiny = await readFile(await ensureModel("tiny", "q8_0"));
    other = await readFile(await ensureModel("tiny"));
    const hf = join(dir, "hf");
    await writeHfSnapshot(hf, "org/tiny-GGUF", MAIN, {
      "tiny-Q8_0.gguf": { bytes: tiny },
      "split/big-00001-of-00002.gguf": { bytes: other.subarray(0, 4096) },
      "split/big-00002-of-00002.gguf": { bytes: other.subarray(4096) },
      "mmproj-tiny-F16.gguf": { bytes: Buffer.from("projector") },
      "damaged-Q4_K_M.gguf": { bytes: tiny.subarray(0, 100), blobName: sha256(Buffer.from("x")) },
      "plain-F16.gguf": { bytes: Buffer.from("not an LFS file"), blobName: "a".repeat(40) },
      "README.md": { bytes: Buffer.from("# tiny") },
    });
    await writeHfSnapshot(hf, "org/tiny-GGUF", OLD, { "tiny-Q8_0.gguf": { bytes: other } }, false);
    const ollama = join(dir, "ollama");
    const layer = (bytes: Buffer, corrupt = false) => [{ mediaType: MODEL_LAYER, bytes, corrupt }];
    await writeOllamaModel(ollama, "registry.ollama.ai", "library/tiny", "latest", layer(tiny));
    await writeOllamaModel(ollama, "registry.ollama.ai", "library/tiny", "q8", layer(tiny));
    await writeOllamaModel(ollama, "registry.ollama.ai", "someone/other", "7b", layer(other));
    await writeOllamaModel(
      ollama,
      "registry.ollama.ai",
      "library/broken",
      "latest",
      layer(other.subarray(0, 64), true),
    );
    // A link inside the store to a file outside it must not be registered.
    await mkdir(join(dir, "outside"));
    await writeFile(join(dir, "outside", "secret.gguf"), "secret");
    const leak = join(hf, "models--org--escape", "snapshots", MAIN);
    await mkdir(leak, { recursive: true });
    await symlink(join(dir, "outside", "secret.gguf"), join(leak, "secret.gguf"));
    store = await openStore(join(dir, "db"));
    catalog = new ModelCatalog(new CatalogStore(store), []);
    imports = new ModelImports({
      catalog,
      provenancePath: join(dir, "provenance.jsonl"),
      stores: { hfCache: hf, ollama },
      registry: { endpoint: "https://registry.ollama.ai" },
      modelDirs: [hf, ollama],
      log: pino({ level: "silent" }),
    });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers every GGUF of both stores where it lies, verified against its store's digest", async () => {
    const { records, skipped } = await imports.run({});
    const byId = new Map(records.map((r) => [r.id, r]));
    assert.deepEqual(
      [...byId.keys()].sort(),
      [
        `hf:org/tiny-GGUF/tiny-Q8_0.gguf@${OLD}`,
        "hf:org/tiny-GGUF/plain-F16.gguf",
        "hf:org/tiny-GGUF/split/big-00001-of-00002.gguf",
        "hf:org/tiny-GGUF/tiny-Q8_0.gguf",
        "ollama:someone/other:7b",
        "ollama:tiny:latest",
        "ollama:tiny:q8",
      ].sort(),
    );
    const hfTiny = byId.get("hf:org/tiny-GGUF/tiny-Q8_0.gguf");
    const snapshot = join(dir, "hf", "models--org--tiny-GGUF", "snapshots", MAIN);
    assert.equal(hfTiny?.localPath, join(snapshot, "tiny-Q8_0.gguf"), "used in place");
    assert.equal(hfTiny?.digest, `sha256:${sha256(tiny)}`);
    assert.equal(hfTiny?.verification, "PASS");
    assert.deepEqual(hfTiny?.aliases, ["tiny-Q8_0"]);
    assert.equal(byId.get(`hf:org/tiny-GGUF/tiny-Q8_0.gguf@${OLD}`)?.aliases?.length ?? 0, 0);
    assert.equal(byId.get("hf:org/tiny-GGUF/plain-F16.gguf")?.verification, "UNVERIFIED");
    assert.equal(byId.get("hf:org/tiny-GGUF/split/big-00001-of-00002.gguf")?.verification, "PASS");
    const ollamaTiny = byId.get("ollama:tiny:latest");
    assert.equal(ollamaTiny?.localPath, join(dir, "ollama", "blobs", `sha256-${sha256(tiny)}`));
    assert.deepEqual(ollamaTiny?.aliases, ["tiny:latest", "tiny"]);
    assert.equal(ollamaTiny?.metadata.local_store, "ollama-store");
    assert.equal(ollamaTiny?.metadata["gguf.architecture"], "llama");
    assert.deepEqual(byId.get("ollama:tiny:q8")?.aliases, ["tiny:q8"]);
    const reasons = skipped.map((s) => `${s.path} ${s.reason}`).join("\n");
    assert.match(reasons, /damaged-Q4_K_M\.gguf .*damaged/);
    assert.match(reasons, /library\/broken\/latest .*damaged/);
    assert.match(reasons, /secret\.gguf .*outside the model directories/);
    assert.equal(skipped.length, 3, reasons);
    const lines = (await readFile(join(dir, "provenance.jsonl"), "utf8")).trim().split("\n");
    assert.equal(lines.length, records.length);
    assert.ok(lines.map((l) => JSON.parse(l)).every((l) => l.local_store !== null));
  });

  it("a second import refreshes the same entries, keeps their names, and copies nothing", async () => {
    const before = (await catalog.list()).length;
    const { records } = await imports.run({ stores: ["ollama-store"] });
    assert.equal(records.length, 3);
    assert.equal((await catalog.list()).length, before);
    assert.deepEqual((await catalog.get("ollama:tiny:latest")).aliases, ["tiny:latest", "tiny"]);
    await assert.rejects(access(join(dir, "cache")), "no pull cache was written");
  });

  it("refuses a folder outside the model directories and an unknown store", async () => {
    await assert.rejects(
      imports.run({ ollamaDir: join(dir, "outside") }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "INVALID_PARAMS");
        assert.match(error.message, /outside the model directories; add it to models\.dirs/);
        return true;
      },
    );
    await assert.rejects(imports.run({ stores: ["lmstudio"] }), /unknown store lmstudio/);
  });
});
