// src/ has no import cycle (type-only imports count) and keeps its module boundaries; the check
// itself finds a type-only cycle and a boundary crossing in fixture trees.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { boundaryViolations, findCycles, importGraph } from "../../scripts/import-graph.js";
import { repoRoot } from "../../src/common/paths.js";

const fixtures = mkdtempSync(join(tmpdir(), "import-graph-"));
after(() => rmSync(fixtures, { recursive: true, force: true }));

/** A fixture tree of `.ts` files, each given as its path and text. */
function tree(name: string, files: Record<string, string>): string {
  const root = join(fixtures, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const graph = importGraph(join(repoRoot, "src"));

describe("src/ imports", () => {
  it("form no cycle, type-only imports included", () => {
    const cycles = findCycles(graph).map((cycle) => cycle.join(" -> "));
    assert.deepEqual(cycles, [], `import cycles under src/:\n${cycles.join("\n")}`);
  });

  it("cross no module boundary (scripts/import-graph.ts MODULE_RULES)", () => {
    const crossings = boundaryViolations(graph);
    assert.deepEqual(crossings, [], `forbidden imports under src/:\n${crossings.join("\n")}`);
  });

  it("are read from the .ts sources their .js specifiers name", () => {
    // Guards the check against passing because it read nothing.
    assert.ok(graph.size > 100, `only ${graph.size} files read`);
    assert.ok(graph.get("gateway/server.ts")?.includes("gateway/routes.ts"));
  });
});

describe("the import check", () => {
  it("finds a cycle of two files that import each other's types only", () => {
    const root = tree("type-cycle", {
      "lease.ts": 'import type { Pool } from "./pool.js";\nexport interface Lease { pool: Pool }\n',
      "pool.ts": 'export type { Lease } from "./lease.js";\nexport interface Pool { id: string }\n',
      "slot.ts": 'import type { Lease } from "./lease.js";\nexport type Slot = Lease;\n',
    });
    const cycles = findCycles(importGraph(root)).map((cycle) => cycle.join(" -> "));
    assert.deepEqual(cycles, ["lease.ts -> pool.ts -> lease.ts"]);
  });

  it("names each import that crosses a boundary, and only those", () => {
    const root = tree("boundaries", {
      "control/catalog.ts":
        'import { digest } from "../worker/digest.js";\nimport { ref } from "../models/ref.js";\n' +
        "export const id = digest + ref;\n",
      "gateway/routes.ts":
        'import type { Queue } from "../control/queue.js";\nexport let q: Queue;\n',
      "control/queue.ts": "export interface Queue { depth: number }\n",
      "worker/digest.ts": 'export const digest = "sha256";\n',
      "models/ref.ts": 'export const ref = "builtin:tiny";\n',
    });
    assert.deepEqual(boundaryViolations(importGraph(root)), [
      "control/catalog.ts -> worker/digest.ts",
      "gateway/routes.ts -> control/queue.ts",
    ]);
  });
});
