// Turns the runs into per-row medians, prints them as a table and writes the results file.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { NOISE_LIMIT_CORES } from "./cpu-meter.js";
import type { MachineInfo } from "./machine.js";
import type { BenchSettings, RowSample, RowSummary, RunSample, Side, SideCounts } from "./types.js";

/** The ratio the team reports against: the addon within 5% of llama.cpp's own loop. */
export const TARGET_RATIO = 0.95;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function samplesOf(runs: readonly RunSample[], side: Side, b: number): RowSample[] {
  return runs
    .filter((run) => run.side === side)
    .flatMap((run) => run.rows.filter((row) => row.parallel === b));
}

/** The samples a median is taken over: the clean ones, or all when noise spoiled every one. */
function usable(samples: readonly RowSample[]): RowSample[] {
  const clean = samples.filter((s) => s.clean);
  return clean.length > 0 ? clean : [...samples];
}

function counts(samples: readonly RowSample[]): SideCounts {
  return { clean: samples.filter((s) => s.clean).length, total: samples.length };
}

export function summarize(settings: BenchSettings, runs: readonly RunSample[]): RowSummary[] {
  return settings.parallel.map((b) => {
    const addon = samplesOf(runs, "addon", b);
    const reference = samplesOf(runs, "batched-bench", b);
    const pair = (pick: (s: RowSample) => number) => {
      const ours = median(usable(addon).map(pick));
      const theirs = median(usable(reference).map(pick));
      return { addon: ours, batchedBench: theirs, ratio: ours / theirs };
    };
    return {
      parallel: b,
      prefill: pair((s) => s.prefillTokensPerSecond),
      decode: pair((s) => s.decodeTokensPerSecond),
      samples: { addon: counts(addon), batchedBench: counts(reference) },
    };
  });
}

/** True while some row of either side has clean samples from fewer than half the repeats. */
export function needsCleanSamples(settings: BenchSettings, runs: readonly RunSample[]): boolean {
  const wanted = Math.ceil(settings.repeats / 2);
  return summarize(settings, runs).some(
    (row) => row.samples.addon.clean < wanted || row.samples.batchedBench.clean < wanted,
  );
}

function ratioCell(ratio: number): string {
  return `${ratio.toFixed(3)}${ratio < TARGET_RATIO ? " !" : ""}`;
}

function bCell(row: RowSummary): string {
  const noisy = row.samples.addon.clean === 0 || row.samples.batchedBench.clean === 0;
  return `${row.parallel}${noisy ? " ~" : ""}`;
}

/** A Markdown table, so the same text goes to the terminal and into bench/README.md. */
export function formatTable(rows: readonly RowSummary[]): string {
  const lines = [
    "| B | prefill t/s addon | prefill t/s batched-bench | ratio | decode t/s addon | decode t/s batched-bench | ratio |",
    "|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const r of rows) {
    const cells = [
      bCell(r),
      r.prefill.addon.toFixed(1),
      r.prefill.batchedBench.toFixed(1),
      ratioCell(r.prefill.ratio),
      r.decode.addon.toFixed(1),
      r.decode.batchedBench.toFixed(1),
      ratioCell(r.decode.ratio),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function formatLegend(rows: readonly RowSummary[]): string {
  const clean = rows
    .map((r) => {
      const { addon, batchedBench: bb } = r.samples;
      return `B=${r.parallel} ${addon.clean}/${addon.total} and ${bb.clean}/${bb.total}`;
    })
    .join(", ");
  return [
    `Medians of the clean samples (other processes <= ${NOISE_LIMIT_CORES} core during the row).`,
    `"!" ratio below ${TARGET_RATIO}; "~" no clean sample on a side, median of all.`,
    `Clean samples (addon, batched-bench): ${clean}.`,
  ].join("\n");
}

export function formatRow(row: RowSample): string {
  const tps = `${row.prefillTokensPerSecond.toFixed(0)} / ${row.decodeTokensPerSecond.toFixed(1)}`;
  const noise = `others ${row.otherCores.toFixed(2)}, steal ${row.stealCores.toFixed(2)} cores`;
  const engine = row.engineClock
    ? ` (engine clock ${row.engineClock.prefillTokensPerSecond.toFixed(0)} / ${row.engineClock.decodeTokensPerSecond.toFixed(1)})`
    : "";
  return `    B=${String(row.parallel).padEnd(2)} prefill/decode t/s ${tps.padEnd(15)} ${noise}${row.clean ? "" : "  NOISY"}${engine}`;
}

export interface BenchResults {
  benchmark: "engine";
  timestamp: string;
  llamaCppCommit: string;
  model: { path: string; preset: "bench"; type: string };
  machine: MachineInfo;
  settings: BenchSettings;
  batchedBenchCommand: string[];
  targetRatio: number;
  noiseLimitCores: number;
  rows: RowSummary[];
  runs: RunSample[];
}

/** Writes through a temp file (ignored by git) so a reader never sees half a results file. */
export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(temp, path);
}
