// The trust policy's pure parts: which catalog entries and local files are trusted, which pull
// sources catalog.allow admits, and which names capabilities offer for a served model.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { OrchError } from "../../src/common/errors.js";
import { servedNames } from "../../src/control/model-names.js";
import { distrust, ModelTrust } from "../../src/control/model-trust.js";
import type { CatalogRecord } from "../../src/store/catalog-store.js";

const digest = `sha256:${"a".repeat(64)}`;

function entry(id: string, extra: Partial<CatalogRecord> = {}): CatalogRecord {
  return {
    id,
    modelRef: `/models/${id}.gguf`,
    localPath: `/models/${id}.gguf`,
    digest,
    sizeBytes: 1,
    state: "ACTIVE",
    createdMs: 0,
    verification: "UNVERIFIED",
    metadata: {},
    ...extra,
  };
}

const entries = [
  entry("pulled", { verification: "PASS", aliases: ["qwen"] }),
  entry("loose", { aliases: ["loose-alias"] }),
  entry("tampered", { verification: "FAIL", verificationDetail: "has sha256:b…" }),
  entry("tiny-name", { modelRef: "builtin:tiny" }),
];

describe("distrust", () => {
  const cases: [string, RegExp | undefined][] = [
    ["builtin:tiny", undefined],
    ["pulled", undefined],
    ["qwen", undefined],
    ["tiny-name", undefined],
    ["loose", /no source vouched for/],
    ["loose-alias", /no source vouched for/],
    ["tampered", /failed its last verification/],
    ["/models/pulled.gguf", undefined],
    ["/models/other.gguf", /local file whose digest was never verified/],
    ["file:/models/loose.gguf", /never verified/],
    ["unknown-name", undefined],
    ["hf:org/repo:Q4_K_M", undefined],
  ];
  for (const [name, expected] of cases) {
    it(`${name}: ${expected ? "untrusted" : "not refused"}`, () => {
      const reason = distrust(name, entries);
      if (expected) assert.match(reason ?? "", expected);
      else assert.equal(reason, undefined);
    });
  }
});

function trust(mode: "strict" | "permissive", allow: string[] = []) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { trust: new ModelTrust({ trust: mode, allow }, log), lines };
}

describe("ModelTrust", () => {
  it("strict refuses an untrusted model with UNTRUSTED_ARTIFACT, naming why and the fix", () => {
    const { trust: strict } = trust("strict");
    assert.throws(
      () => strict.admit("loose", distrust("loose", entries)),
      (e: unknown) =>
        e instanceof OrchError &&
        e.code === "UNTRUSTED_ARTIFACT" &&
        /POST \/v1\/catalog\/models with digest/.test(e.message),
    );
    strict.admit("pulled", distrust("pulled", entries));
  });

  it("permissive lets it through and warns once per name", () => {
    const { trust: permissive, lines } = trust("permissive");
    for (let i = 0; i < 3; i++) permissive.admit("loose", distrust("loose", entries));
    permissive.admit("tampered", distrust("tampered", entries));
    assert.deepEqual(
      lines.map((l) => l.model_ref),
      ["loose", "tampered"],
    );
  });

  const sources: [string[], string, boolean][] = [
    [[], "hf:anyone/repo:Q4_K_M", true],
    [["hf:org"], "hf:org/repo:Q4_K_M", true],
    [["hf:org"], "hf:org/repo/file.gguf@main", true],
    [["hf:org"], "hf:other/repo:Q4_K_M", false],
    [["hf:org"], "hf:organisation/repo:Q4_K_M", false],
    [["hf:org/one"], "hf:org/two:F16", false],
    [["ollama:library"], "ollama:llama3:8b", true],
    [["ollama:library"], "ollama:someone/llama3", false],
    [["https://models.example/gguf"], "https://models.example/gguf/a.gguf", true],
    [["https://models.example/gguf"], "https://models.example/other/a.gguf", false],
    [["https://models.example"], "https://evil.example/a.gguf", false],
    [["hf:org"], "builtin:tiny", true],
    [["hf:org"], "/models/local.gguf", true],
  ];
  for (const [allow, ref, ok] of sources) {
    it(`allow ${JSON.stringify(allow)}: ${ref} ${ok ? "pulls" : "is refused"}`, () => {
      const { trust: policy } = trust("permissive", allow);
      if (ok) policy.checkSource(ref);
      else assert.throws(() => policy.checkSource(ref), /UNTRUSTED_ARTIFACT|catalog\.allow/);
    });
  }
});

describe("servedNames", () => {
  const pool = { modelRef: "builtin:tiny", digest: "a".repeat(64) };

  it("lists the pool's ref, then every active id and alias of the file it serves", () => {
    assert.deepEqual(servedNames(pool, entries.slice(0, 2)), [
      "builtin:tiny",
      "pulled",
      "qwen",
      "loose",
      "loose-alias",
    ]);
  });

  it("leaves out a retired entry's names, and the ref when a retired entry is named by it", () => {
    const retired = [
      entry("pulled", { state: "RETIRED", aliases: ["qwen"] }),
      entry("loose"),
      entry("builtin:tiny", { state: "RETIRED", modelRef: "builtin:tiny" }),
    ];
    assert.deepEqual(servedNames(pool, retired), ["loose"]);
  });
});
