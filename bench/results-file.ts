// Writing a benchmark's results file: summary pretty for people, one line per run (the raw samples
// run long), numbers to the microsecond, through a temp file so a reader never sees half a file.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Microseconds are plenty, and keep the per-request numbers from bloating the file. */
function rounded(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value)
    ? Math.round(value * 1000) / 1000
    : value;
}

export function writeResultsFile<T extends { runs: readonly unknown[] }>(path: string, results: T) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const { runs, ...head } = results;
  const lines = runs.map((run) => `    ${JSON.stringify(run, rounded)}`).join(",\n");
  const text = `${JSON.stringify(head, rounded, 2).slice(0, -2)},\n  "runs": [\n${lines}\n  ]\n}\n`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
