// The model catalog on a real LevelDB and real files: create, get, list, delete, state, verify.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { ModelCatalog } from "../../src/control/model-catalog.js";
import { CatalogStore } from "../../src/store/catalog-store.js";
import { openStore, type Store } from "../../src/store/db.js";

let dir = "";
let store: Store;
let catalog: ModelCatalog;
let model = "";
const bytes = Buffer.from("GGUF not really, but bytes to hash");
const sha = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-catalog-"));
  store = await openStore(dir);
  catalog = new ModelCatalog(new CatalogStore(store), [dir]);
  model = join(dir, "m.gguf");
  await writeFile(model, bytes);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function code(expected: string) {
  return (error: unknown) => error instanceof OrchError && error.code === expected;
}

test("create records path, size and sha256; get, list and delete", async () => {
  const entry = await catalog.create({ id: "m", modelRef: `file:${model}` }, 1000);
  assert.equal(entry.localPath, model);
  assert.equal(entry.digest, sha);
  assert.equal(entry.sizeBytes, bytes.length);
  assert.equal(entry.state, "ACTIVE");
  assert.equal(entry.verification, "UNVERIFIED");
  assert.deepEqual(await catalog.get("m"), entry);
  await catalog.create({ modelRef: model }, 1001);
  assert.deepEqual((await catalog.list()).map((e) => e.id).sort(), ["m", model].sort());
  assert.equal(await catalog.delete("m"), true);
  assert.equal(await catalog.delete("m"), false);
  await assert.rejects(catalog.get("m"), code("CATALOG_ENTRY_NOT_FOUND"));
});

test("issue 14: a path outside the model directories is refused before it is read", async () => {
  const outside = await mkdtemp(join(tmpdir(), "llama-orch-outside-"));
  const secret = join(outside, "secret.gguf");
  await writeFile(secret, bytes);
  await symlink(secret, join(dir, "link.gguf"));
  try {
    for (const modelRef of [secret, join(dir, "link.gguf"), `${dir}/../${outside}/secret.gguf`]) {
      await assert.rejects(catalog.create({ modelRef, digest: sha }, 1), (error: unknown) => {
        assert.ok(error instanceof OrchError && error.code === "INVALID_PARAMS", String(error));
        assert.match(error.message, /outside the model directories/);
        return true;
      });
    }
    assert.deepEqual(await catalog.list(), []);
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test("entries survive a reopen of the database", async () => {
  await catalog.create({ id: "m", modelRef: model, metadata: { owner: "ops" } }, 1000);
  await store.close();
  store = await openStore(dir);
  const reopened = new ModelCatalog(new CatalogStore(store), [dir]);
  assert.deepEqual((await reopened.get("m")).metadata, { owner: "ops" });
});

test("a duplicate id, a missing file and remote refs are refused with typed errors", async () => {
  await catalog.create({ id: "m", modelRef: model }, 1000);
  await assert.rejects(
    catalog.create({ id: "m", modelRef: model }, 1),
    code("CATALOG_ENTRY_EXISTS"),
  );
  const missing = join(dir, "absent.gguf");
  await assert.rejects(catalog.create({ modelRef: missing }, 1), code("MODEL_NOT_FOUND"));
  await assert.rejects(catalog.create({ modelRef: "hf:org/repo/x.gguf" }, 1), (error: unknown) => {
    assert.ok(error instanceof OrchError && error.code === "INVALID_PARAMS");
    assert.match(error.message, /needs a download.*\/v1\/models\/pull/);
    return true;
  });
  await assert.rejects(
    catalog.create({ modelRef: model, digest: "md5:x" }, 1),
    code("INVALID_PARAMS"),
  );
});

test("an expected digest is verified on create: match passes, mismatch refuses", async () => {
  const entry = await catalog.create({ id: "ok", modelRef: model, digest: sha.toUpperCase() }, 5);
  assert.equal(entry.verification, "PASS");
  assert.equal(entry.expectedDigest, sha);
  assert.equal(entry.lastVerifiedMs, 5);
  const wrong = `sha256:${"0".repeat(64)}`;
  await assert.rejects(
    catalog.create({ id: "bad", modelRef: model, digest: wrong }, 6),
    code("MODEL_DIGEST_MISMATCH"),
  );
  await assert.rejects(catalog.get("bad"), code("CATALOG_ENTRY_NOT_FOUND"));
});

test("verify: pass with an expected digest, warn without, fail once the file changes", async () => {
  await catalog.create({ id: "pinned", modelRef: model, digest: sha }, 1);
  await catalog.create({ id: "loose", modelRef: model }, 1);
  const pass = await catalog.verify("pinned", 10);
  assert.equal(pass.verification, "PASS");
  assert.equal(pass.lastVerifiedMs, 10);
  const warn = await catalog.verify("loose", 11);
  assert.equal(warn.verification, "WARN");
  assert.match(warn.verificationDetail ?? "", /no expected digest/);
  await writeFile(model, Buffer.concat([bytes, Buffer.from("tampered")]));
  for (const id of ["pinned", "loose"]) {
    const fail = await catalog.verify(id, 12);
    assert.equal(fail.verification, "FAIL");
    assert.match(fail.verificationDetail ?? "", /not/);
    assert.equal((await catalog.get(id)).verification, "FAIL");
  }
  await rm(model);
  assert.match((await catalog.verify("pinned", 13)).verificationDetail ?? "", /cannot be read/);
  await assert.rejects(catalog.verify("nope", 1), code("CATALOG_ENTRY_NOT_FOUND"));
});

test("state moves between ACTIVE and RETIRED and persists", async () => {
  await catalog.create({ id: "m", modelRef: model }, 1);
  assert.equal((await catalog.setState("m", "RETIRED")).state, "RETIRED");
  assert.equal((await catalog.get("m")).state, "RETIRED");
  assert.equal((await catalog.setState("m", "ACTIVE")).state, "ACTIVE");
  await assert.rejects(catalog.setState("nope", "RETIRED"), code("CATALOG_ENTRY_NOT_FOUND"));
});

test("concurrent creates of one id: exactly one wins", async () => {
  const results = await Promise.allSettled(
    [1, 2, 3].map((n) => catalog.create({ id: "m", modelRef: model }, n)),
  );
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
});
