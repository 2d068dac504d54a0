// Artifact retention on a real LevelDB and real files: age limit, total size limit (oldest first),
// and blob files that no record names.
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { sweepArtifacts } from "../../src/store/artifact-retention.js";
import { ArtifactStore, artifactId } from "../../src/store/artifact-store.js";
import { openStore, type Store } from "../../src/store/db.js";

let dir = "";
let store: Store;
let artifacts: ArtifactStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-retention-"));
  store = await openStore(dir);
  artifacts = new ArtifactStore(store, join(dir, "artifacts"));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Three 100-byte transcripts made at t = 0, 1000 and 2000 ms. */
async function threeByAge(): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, at] of [0, 1000, 2000].entries()) {
    const content = Buffer.alloc(100, i + 1);
    ids.push((await artifacts.put({ kind: "trace", content }, at)).id);
  }
  return ids;
}

test("HME-022 artifacts past artifacts.max_age_ms go, record and blob; younger ones stay", async () => {
  const [old, mid, young] = await threeByAge();
  const result = await sweepArtifacts(artifacts, { maxAgeMs: 9500, maxTotalBytes: 0 }, 10_600);
  assert.deepEqual(result, { removed: 2, bytesFreed: 200, orphanBlobs: 0 });
  for (const id of [old, mid] as string[]) {
    assert.equal(await artifacts.get(id), undefined);
    assert.equal(await exists(artifacts.blobPath(id)), false, "its blob is deleted");
  }
  assert.equal((await artifacts.get(young as string))?.sizeBytes, 100);
});

test("HME-022 beyond artifacts.max_total_bytes the oldest go first until the rest fits", async () => {
  const [old, mid, young] = await threeByAge();
  const result = await sweepArtifacts(artifacts, { maxAgeMs: 0, maxTotalBytes: 250 }, 3000);
  assert.equal(result.removed, 1);
  assert.equal(await artifacts.get(old as string), undefined);
  assert.ok(await artifacts.get(mid as string));
  assert.ok(await artifacts.get(young as string));
  const none = await sweepArtifacts(artifacts, { maxAgeMs: 0, maxTotalBytes: 0 }, 1e12);
  assert.equal(none.removed, 0, "0 means no limit");
});

test("HME-022 a blob no record names (a crash between blob and record) is removed", async () => {
  const [kept] = await threeByAge();
  const orphan = Buffer.from("written, never recorded");
  const hex = artifactId(orphan).slice("sha256:".length);
  const path = join(dir, "artifacts", "sha256", hex.slice(0, 2), hex);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, orphan);
  await writeFile(`${path}.0b5e.tmp`, orphan.subarray(0, 4)); // a temp file a crash left behind
  const result = await sweepArtifacts(artifacts, { maxAgeMs: 0, maxTotalBytes: 0 }, 3000);
  assert.equal(result.orphanBlobs, 2);
  assert.equal(await exists(path), false);
  assert.equal(await exists(`${path}.0b5e.tmp`), false);
  assert.equal(await exists(artifacts.blobPath(kept as string)), true, "recorded blobs stay");
});
