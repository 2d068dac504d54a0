// Ollama names as `ollama pull` reads them, the catalog names they get, the local stores' roots
// from the variables the other tools read, and the import CLI's request: table-driven, pure.
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { importRequest } from "../../src/cli/models-import.js";
import { hfCacheRoot, ollamaRoot } from "../../src/models/local-stores/store-roots.js";
import { parseModelRef } from "../../src/models/model-ref-kind.js";
import {
  MODEL_LAYER_MEDIA_TYPE,
  modelLayer,
  ollamaAliases,
  ollamaId,
  ollamaName,
} from "../../src/models/pull/ollama-registry.js";

const registry = { endpoint: "https://registry.ollama.ai" };

test("ollama: refs name a registry, a namespaced repo and a tag; ids and aliases follow Ollama's short forms", () => {
  const cases = [
    [
      "ollama:llama3.2",
      "registry.ollama.ai",
      "library/llama3.2",
      "latest",
      "ollama:llama3.2:latest",
      ["llama3.2:latest", "llama3.2"],
    ],
    [
      "ollama:qwen2.5:0.5b",
      "registry.ollama.ai",
      "library/qwen2.5",
      "0.5b",
      "ollama:qwen2.5:0.5b",
      ["qwen2.5:0.5b"],
    ],
    [
      "ollama:someone/model:v1",
      "registry.ollama.ai",
      "someone/model",
      "v1",
      "ollama:someone/model:v1",
      [],
    ],
    [
      "ollama:hf.co/org/repo:Q4_K_M",
      "hf.co",
      "org/repo",
      "Q4_K_M",
      "ollama:hf.co/org/repo:Q4_K_M",
      [],
    ],
  ] as const;
  for (const [ref, host, repo, tag, id, aliases] of cases) {
    const kind = parseModelRef(ref);
    assert.equal(kind.kind, "ollama", ref);
    const name = ollamaName(kind as { name: string; tag: string }, registry);
    assert.deepEqual([name.host, name.repo, name.tag], [host, repo, tag], ref);
    assert.equal(ollamaId(name, registry), id, ref);
    assert.deepEqual(ollamaAliases(name, registry), aliases, ref);
  }
  assert.equal(
    ollamaName({ name: "hf.co/org/repo", tag: "x" }, registry).registry,
    "https://hf.co",
  );
  assert.throws(
    () => ollamaName({ name: "a/b/c/d", tag: "latest" }, registry),
    /not an Ollama model name/,
  );
});

test("Ollama's name:tag is a catalog name, so pools, reloads and tasks may use it", () => {
  assert.deepEqual(parseModelRef("llama3.2:latest"), { kind: "catalog", id: "llama3.2:latest" });
  assert.deepEqual(parseModelRef("qwen2.5:0.5b"), { kind: "catalog", id: "qwen2.5:0.5b" });
  assert.throws(
    () => parseModelRef("s3://bucket/model.gguf"),
    /scheme llama-orch does not pull from/,
  );
});

test("a manifest's GGUF is its application/vnd.ollama.image.model layer; none or a bad digest is refused", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  const manifest = {
    layers: [
      {
        mediaType: "application/vnd.ollama.image.template",
        digest: `sha256:${"b".repeat(64)}`,
        size: 9,
      },
      { mediaType: MODEL_LAYER_MEDIA_TYPE, digest, size: 42 },
    ],
  };
  assert.deepEqual(modelLayer(manifest, "m"), { sha256: "a".repeat(64), size: 42 });
  assert.throws(
    () => modelLayer({ layers: [manifest.layers[0]] }, "m"),
    (e: Error & { code?: string }) => e.code === "MODEL_UNSUPPORTED" && /template/.test(e.message),
  );
  assert.throws(() => modelLayer({}, "m"), /no GGUF model layer.*none/);
  const bad = { layers: [{ mediaType: MODEL_LAYER_MEDIA_TYPE, digest: "md5:x", size: 1 }] };
  assert.throws(() => modelLayer(bad, "m"), /no valid sha256 digest/);
});

test("the stores' roots come from the variables huggingface_hub and Ollama read, in their order", () => {
  assert.equal(hfCacheRoot({ HF_HUB_CACHE: "/a", HF_HOME: "/b" }), "/a");
  assert.equal(hfCacheRoot({ HF_HOME: "/b" }), "/b/hub");
  assert.equal(hfCacheRoot({ XDG_CACHE_HOME: "/x" }), "/x/huggingface/hub");
  assert.equal(hfCacheRoot({}), join(homedir(), ".cache", "huggingface", "hub"));
  assert.equal(ollamaRoot({ OLLAMA_MODELS: "/o" }), "/o");
  assert.equal(ollamaRoot({}), join(homedir(), ".ollama", "models"));
});

test("models import scans both stores unless one is named; a named folder overrides that store", () => {
  assert.deepEqual(importRequest({ json: false }), { hfCacheDir: "", ollamaDir: "", stores: [] });
  assert.deepEqual(importRequest({ ollama: true, json: false }), {
    hfCacheDir: "",
    ollamaDir: "",
    stores: ["ollama-store"],
  });
  assert.deepEqual(importRequest({ hfCache: "/m/hub", ollama: "/m/ollama", json: true }), {
    hfCacheDir: "/m/hub",
    ollamaDir: "/m/ollama",
    stores: ["hf-cache", "ollama-store"],
  });
});
