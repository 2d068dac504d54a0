// Pull-cache garbage collection on a real LevelDB catalog and real files: least recently used
// first, never a file in use, pinned, or outside the pull cache; dry runs remove nothing.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { pino } from "pino";
import { ModelCatalog } from "../../src/control/model-catalog.js";
import { ModelGc } from "../../src/control/model-gc.js";
import { CatalogStore } from "../../src/store/catalog-store.js";
import { openStore, type Store } from "../../src/store/db.js";

const SIZE = 1000;
let dir = "";
let cacheDir = "";
let store: Store;
let catalog: ModelCatalog;
let inUse = new Set<string>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-gc-"));
  cacheDir = join(dir, "pulled");
  store = await openStore(join(dir, "db"));
  catalog = new ModelCatalog(new CatalogStore(store), [dir]);
  inUse = new Set();
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A pulled file of SIZE bytes registered at `createdMs`, as a pull would leave it. */
async function pulled(name: string, createdMs: number): Promise<string> {
  const path = join(cacheDir, "hf", "org", name, `${name}.gguf`);
  await mkdir(join(path, ".."), { recursive: true });
  const bytes = Buffer.alloc(SIZE, name);
  await writeFile(path, bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const source = { ref: `hf:org/${name}:F16`, url: `http://hub/${name}` };
  await catalog.registerPulled(
    { path, sha256, size: SIZE, verified: true, source, metadata: {} },
    [name],
    createdMs,
  );
  return path;
}

function gc(limitBytes: number | undefined): ModelGc {
  return new ModelGc({
    catalog,
    cacheDir,
    handoffDir: join(dir, "handoff"),
    limitBytes,
    inUse: (entry) => inUse.has(entry.id),
    log: pino({ level: "silent" }),
  });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

test("removes the least recently used pulled files until under the limit, and reports freed bytes", async () => {
  const [a, b, c] = [await pulled("a", 1), await pulled("b", 2), await pulled("c", 3)];
  await catalog.touch("hf:org/a:F16", 100_000); // a load: `a` is now the most recently used
  const result = await gc(2 * SIZE).collect({ dryRun: false });
  assert.deepEqual(
    result.removed.map((r) => r.id),
    ["hf:org/b:F16"],
  );
  assert.equal(result.freedBytes, SIZE);
  assert.equal(result.cacheBytes, 2 * SIZE);
  assert.deepEqual([await exists(a), await exists(b), await exists(c)], [true, false, true]);
  assert.deepEqual((await catalog.list()).map((e) => e.id).sort(), [
    "hf:org/a:F16",
    "hf:org/c:F16",
  ]);
});

test("keeps a model a pool uses and a pinned one, whatever their age; a dry run removes nothing", async () => {
  const paths = [await pulled("a", 1), await pulled("b", 2), await pulled("c", 3)];
  inUse.add("hf:org/a:F16");
  await catalog.setPinned("hf:org/b:F16", true);
  const dry = await gc(0).collect({ dryRun: true });
  assert.deepEqual(
    dry.removed.map((r) => r.id),
    ["hf:org/c:F16"],
  );
  assert.equal(dry.dryRun, true);
  for (const path of paths) assert.ok(await exists(path), `${path} is still there`);
  const real = await gc(0).collect({ dryRun: false });
  assert.deepEqual(
    real.removed.map((r) => r.id),
    ["hf:org/c:F16"],
  );
  assert.deepEqual(await Promise.all(paths.map(exists)), [true, true, false]);
  await catalog.setPinned("hf:org/b:F16", false);
  const unpinned = await gc(undefined).collect({ dryRun: false, maxBytes: 0 });
  assert.deepEqual(
    unpinned.removed.map((r) => r.id),
    ["hf:org/b:F16"],
  );
});

test("never deletes a file outside the pull cache, and without a limit removes nothing", async () => {
  const local = join(dir, "local.gguf");
  await writeFile(local, Buffer.alloc(SIZE, "l"));
  await catalog.create({ id: "local", modelRef: local }, 0);
  const pulledPath = await pulled("a", 1);
  const unlimited = await gc(undefined).collect({ dryRun: false });
  assert.deepEqual(unlimited.removed, []);
  assert.equal(unlimited.limitBytes, 0);
  const all = await gc(0).collect({ dryRun: false });
  assert.deepEqual(
    all.removed.map((r) => r.id),
    ["hf:org/a:F16"],
  );
  assert.equal(await exists(pulledPath), false);
  assert.equal(await exists(local), true);
  assert.ok(await catalog.lookup("local"), "the local entry stays registered");
});
