// Writes native/src/core/sampling-bounds.h from src/common/sampling-bounds.ts; `--check` fails on drift.
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../src/common/paths.js";
import {
  type KnobRange,
  logitBiasRange,
  rangeText,
  type SamplingKnob,
  samplingKnobNames,
  samplingKnobs,
} from "../src/common/sampling-bounds.js";

export const headerPath = join(repoRoot, "native", "src", "core", "sampling-bounds.h");

function bound(name: string, range: KnobRange, integer: boolean, fallback: number): string {
  const kind = integer ? "an integer" : "a number";
  const message = `${name} must be ${kind} in ${rangeText(range)}`;
  const fields = [
    `"${message}"`,
    String(range.min),
    String(range.max),
    String(range.minExclusive === true),
    String(range.maxExclusive === true),
    String(fallback),
  ];
  return `inline constexpr Bound ${snake(name)}{${fields.join(", ")}};`;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function knobLine(name: string, knob: SamplingKnob): string {
  // An absent logprobs is the engine's -1 ("none"), outside the range the caller may give.
  return bound(name, knob, knob.type === "integer", knob.fallback ?? -1);
}

/** The header text: one Bound per knob, named as the addon's JS fields are. */
export function headerText(): string {
  const lines = samplingKnobNames.map((name) => knobLine(name, samplingKnobs[name]));
  lines.push(bound("logitBias", logitBiasRange, false, 0));
  return [
    "// Generated from src/common/sampling-bounds.ts by scripts/sampling-header.ts; do not edit.",
    "// The sampling knobs' bounds and defaults (run `npm run codegen:sampling` after changing them).",
    "#pragma once",
    "",
    "namespace orch::sampling_bounds {",
    "",
    "struct Bound {",
    "  const char * message;  // names the field and its range, for INVALID_PARAMS",
    "  double min;",
    "  double max;",
    "  bool min_exclusive;",
    "  bool max_exclusive;",
    "  double fallback;  // the value of an absent field",
    "",
    "  constexpr bool admits(double v) const {",
    "    return (min_exclusive ? v > min : v >= min) && (max_exclusive ? v < max : v <= max);",
    "  }",
    "};",
    "",
    ...lines,
    "",
    "}  // namespace orch::sampling_bounds",
    "",
  ].join("\n");
}

export function headerDrift(): boolean {
  return readFileSync(headerPath, "utf8") !== headerText();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const where = relative(repoRoot, headerPath);
  if (process.argv.includes("--check")) {
    if (headerDrift()) {
      console.error(`${where} is stale; run \`npm run codegen:sampling\` and rebuild the addon`);
      process.exit(1);
    }
  } else {
    writeFileSync(headerPath, headerText());
    console.log(`wrote ${where}`);
  }
}
