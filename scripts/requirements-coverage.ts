// Lists the requirement ids of requirements/*.yaml and which of them test titles cite.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { repoRoot } from "../src/common/paths.js";

export interface Requirement {
  readonly id: string;
  readonly text: string;
  readonly file: string;
}

export interface Citation {
  readonly id: string;
  readonly file: string;
  readonly title: string;
}

const requirementsDir = join(repoRoot, "requirements");
const testDir = join(repoRoot, "test");
// Ids look like ORCH-2001, OC-CTRL-2052, SSE-1003, OC-METRICS-7101, HME-020, OAI-001.
const idPattern = /\b[A-Z]{2,}(?:-[A-Z]+)*-\d{3,4}\b/g;
// Titles of it(...), test(...) and describe(...) calls, in any quote style.
const titlePattern = /\b(?:it|test|describe)\(\s*(["'`])((?:\\.|(?!\1).)*)\1/g;

/** Every requirement of every requirements/*.yaml file, in file order. */
export function loadRequirements(): Requirement[] {
  const files = readdirSync(requirementsDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  return files.flatMap((file) => {
    const entries: unknown = parse(readFileSync(join(requirementsDir, file), "utf8"));
    if (!Array.isArray(entries)) throw new Error(`requirements/${file}: expected a list`);
    return entries.map((entry: unknown, index) => {
      const { id, text } = (entry ?? {}) as { id?: unknown; text?: unknown };
      if (typeof id !== "string" || typeof text !== "string") {
        throw new Error(`requirements/${file}[${index}]: needs string id and text`);
      }
      return { id, text, file };
    });
  });
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => join(dir, f));
}

/** Every requirement-shaped id in a test title, with where it was cited. */
export function loadCitations(dir = testDir): Citation[] {
  return testFiles(dir).flatMap((path) => {
    const source = readFileSync(path, "utf8");
    const file = relative(repoRoot, path);
    return [...source.matchAll(titlePattern)].flatMap((match) => {
      const title = match[2] ?? "";
      return [...title.matchAll(idPattern)].map(([id]) => ({ id, file, title }));
    });
  });
}

export interface Coverage {
  readonly cited: string[];
  readonly uncited: string[];
  /** Citations of ids that no requirements file defines. */
  readonly unknown: Citation[];
}

export function coverage(requirements: Requirement[], citations: Citation[]): Coverage {
  const known = new Set(requirements.map((r) => r.id));
  const citedIds = new Set(citations.map((c) => c.id));
  return {
    cited: requirements.filter((r) => citedIds.has(r.id)).map((r) => r.id),
    uncited: requirements.filter((r) => !citedIds.has(r.id)).map((r) => r.id),
    unknown: citations.filter((c) => !known.has(c.id)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = coverage(loadRequirements(), loadCitations());
  console.log(`cited (${result.cited.length}): ${result.cited.join(", ")}`);
  console.log(`not cited by any test (${result.uncited.length}): ${result.uncited.join(", ")}`);
  for (const c of result.unknown) console.error(`unknown id ${c.id} in ${c.file}: "${c.title}"`);
  if (result.unknown.length > 0) process.exit(1);
}
