// Artifacts on a real LevelDB and real files: content addressing, idempotence, size bound.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { ArtifactStore, artifactId } from "../../src/store/artifact-store.js";
import { openStore, type Store } from "../../src/store/db.js";

let dir = "";
let store: Store;
let artifacts: ArtifactStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-artifacts-"));
  store = await openStore(dir);
  artifacts = new ArtifactStore(store, join(dir, "artifacts"), 1024);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const hex = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

test("the id is the sha256 of the content; the blob lies at sha256/<aa>/<hex>", async () => {
  const content = Buffer.from('{"plan":"steps"}');
  const meta = await artifacts.put(
    { kind: "plan", content, contentType: "application/json", tags: ["a"], metadata: { k: "v" } },
    42,
  );
  const h = hex(content);
  assert.equal(meta.id, `sha256:${h}`);
  assert.equal(artifactId(content), meta.id);
  assert.deepEqual(await readFile(join(dir, "artifacts", "sha256", h.slice(0, 2), h)), content);
  const got = await artifacts.get(meta.id);
  assert.deepEqual(got?.content, content);
  assert.equal(got?.kind, "plan");
  assert.equal(got?.contentType, "application/json");
  assert.deepEqual(got?.tags, ["a"]);
  assert.deepEqual(got?.metadata, { k: "v" });
  assert.equal(got?.createdMs, 42);
  assert.equal(got?.sizeBytes, content.length);
  const leftovers = await readdir(join(dir, "artifacts", "sha256", h.slice(0, 2)));
  assert.deepEqual(leftovers, [h], "no temp files remain");
});

test("the same content twice, even concurrently, is one artifact: the first record wins", async () => {
  const content = Buffer.from("same bytes");
  const [a, b] = await Promise.all([
    artifacts.put({ kind: "other", content, tags: ["first"] }, 1),
    artifacts.put({ kind: "other", content, tags: ["second"] }, 2),
  ]);
  const c = await artifacts.put({ kind: "diff", content, tags: ["third"] }, 3);
  assert.equal(a.id, b.id);
  assert.deepEqual(c, a);
  assert.deepEqual((await artifacts.get(a.id))?.tags, ["first"]);
  assert.equal(a.contentType, "application/octet-stream");
});

test("content over the bound is refused with ARTIFACT_TOO_LARGE and nothing is written", async () => {
  const content = Buffer.alloc(1025, 1);
  await assert.rejects(
    artifacts.put({ kind: "logs", content }, 1),
    (error: unknown) => error instanceof OrchError && error.code === "ARTIFACT_TOO_LARGE",
  );
  assert.equal(await artifacts.get(artifactId(content)), undefined);
  await artifacts.put({ kind: "logs", content: Buffer.alloc(1024, 1) }, 1);
});

test("a parent must be stored; unknown ids read as undefined; records survive a reopen", async () => {
  const parent = await artifacts.put({ kind: "plan", content: Buffer.from("p") }, 1);
  const child = await artifacts.put(
    { kind: "diff", content: Buffer.from("c"), parent: parent.id },
    2,
  );
  assert.equal(child.parent, parent.id);
  const orphan = artifacts.put(
    { kind: "diff", content: Buffer.from("o"), parent: `sha256:${"a".repeat(64)}` },
    3,
  );
  await assert.rejects(
    orphan,
    (error: unknown) => error instanceof OrchError && error.code === "ARTIFACT_NOT_FOUND",
  );
  assert.equal(await artifacts.get(`sha256:${"b".repeat(64)}`), undefined);
  await store.close();
  store = await openStore(dir);
  const reopened = new ArtifactStore(store, join(dir, "artifacts"));
  assert.deepEqual((await reopened.get(child.id))?.content, Buffer.from("c"));
});
