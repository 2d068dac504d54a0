// The import graph of src/ and its two checks: no cycles (type-only imports count) and module boundaries.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** File (relative to the root, `/`-separated) -> the files of the root it imports, in source order. */
export type ImportGraph = Map<string, string[]>;

/** The directories of src/ that hold one process's code (or the CLI that starts them). */
const PROCESSES = ["adapters", "cli", "control", "engine", "gateway", "worker"];

/**
 * A directory of src/ and the directories it must never import from. They keep each process's code
 * apart: the control plane never loads the addon (a native abort must only ever kill a worker,
 * DESIGN), and the gateway reaches the control plane only through gRPC, so both sides meet in the
 * generated clients of src/gen and the shared code of src/common and src/models.
 */
export const MODULE_RULES: readonly { from: string; never: readonly string[] }[] = [
  { from: "control", never: ["worker", "engine"] },
  { from: "gateway", never: ["worker", "engine", "control"] },
  // Shared code sits below every process: it imports none of them, so any of them may import it.
  ...["common", "models", "store", "gen"].map((from) => ({ from, never: PROCESSES })),
];

/**
 * Every `.ts` file under `root` and its imports of other files under `root`: `import`, `import type`,
 * `export ... from`, `import()` and `require`. ESM specifiers name the emitted `.js`; they resolve
 * to the `.ts` source beside it. Imports of packages are left out.
 */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = info.importedFiles
      .map((ref) => resolveSpecifier(file, ref.fileName))
      .filter((target): target is string => target?.startsWith(root + sep) === true);
    graph.set(key(root, file), [...new Set(targets.map((t) => key(root, t)))]);
  }
  return graph;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
    });
}

function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
  return candidates.find((path) => path.endsWith(".ts") && existsSync(path));
}

function key(root: string, file: string): string {
  return relative(root, file).split(sep).join("/");
}

/**
 * The cycles a depth-first walk finds, one per edge that closes back onto the walk's path, each as
 * the path `a.ts -> b.ts -> a.ts`. No cycle is printed twice; none at all means the graph is acyclic.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): void => {
    path.push(file);
    onPath.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onPath.has(next)) cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) if (!done.has(file)) visit(file);
  return cycles;
}

/** Each import that crosses a boundary of MODULE_RULES, as `control/x.ts -> worker/y.ts`. */
export function boundaryViolations(graph: ImportGraph, rules = MODULE_RULES): string[] {
  const top = (file: string) => file.split("/")[0] ?? "";
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    const rule = rules.find((r) => r.from === top(file));
    if (!rule) continue;
    for (const target of targets) {
      if (rule.never.includes(top(target))) violations.push(`${file} -> ${target}`);
    }
  }
  return violations.sort();
}
