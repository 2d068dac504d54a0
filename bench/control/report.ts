// Prints the summary as a Markdown table and progress lines, and writes the results file.
import { NOISE_LIMIT_CORES } from "../engine/cpu-meter.js";
import type { MachineInfo } from "../engine/machine.js";
import type { BlockSample, ControlSettings, RowSummary, RunSample, SideName } from "./types.js";

const ms = (value: number) => value.toFixed(2);
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;

function cCell(row: RowSummary): string {
  const noisy = row.direct.blocks.clean === 0 || row.orchestrated.blocks.clean === 0;
  return `${row.concurrency}${noisy ? " ~" : ""}`;
}

/** One Markdown table, so the same text goes to the terminal and into bench/README.md. */
export function formatTable(rows: readonly RowSummary[]): string {
  const lines = [
    "| model | c | TTFT p50 direct | TTFT p50 orch | added | TTFT p95 direct | TTFT p95 orch " +
      "| gap p50 direct | gap p50 orch | added | gap p95 direct | gap p95 orch " +
      "| tok/s direct | tok/s orch | ratio |",
    `|---|--:|${"--:|".repeat(13)}`,
  ];
  for (const r of rows) {
    const { direct: d, orchestrated: o } = r;
    const cells = [
      r.model,
      cCell(r),
      ms(d.ttftMs.p50),
      ms(o.ttftMs.p50),
      signed(r.addedTtftP50Ms),
      ms(d.ttftMs.p95),
      ms(o.ttftMs.p95),
      ms(d.gapMs.p50),
      ms(o.gapMs.p50),
      signed(r.addedGapP50Ms),
      ms(d.gapMs.p95),
      ms(o.gapMs.p95),
      d.tokensPerSecond.toFixed(1),
      o.tokensPerSecond.toFixed(1),
      r.tokensPerSecondRatio.toFixed(3),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function formatLegend(rows: readonly RowSummary[]): string {
  const counts = rows
    .map((r) => {
      const { direct: d, orchestrated: o } = r;
      return `${r.model} c=${r.concurrency} ${d.blocks.clean}/${d.blocks.total} and ${o.blocks.clean}/${o.blocks.total}`;
    })
    .join(", ");
  const perToken = rows
    .map((r) => `${r.model} c=${r.concurrency} ${signed(r.addedDecodeMsPerToken)}`)
    .join(", ");
  const admitted = rows
    .map((r) => `${r.model} c=${r.concurrency} ${ms(r.orchestrated.admittedMsP50 ?? Number.NaN)}`)
    .join(", ");
  return [
    "Times in ms on the caller's clock: TTFT from the call to the first token, gap between " +
      "consecutive tokens of one request; added = orch - direct (p50). tok/s: generated tokens " +
      "per second, per request at c=1, per wave at c=8; ratio = orch / direct.",
    `Clean blocks (other processes <= ${NOISE_LIMIT_CORES} core), direct and orch: ${counts}.`,
    '"~" a side had no clean block: its numbers use every block.',
    `Added mean decode ms per token ((total - TTFT) / (tokens - 1)): ${perToken}.`,
    `Orch call to its admitted event (p50, ms): ${admitted}.`,
  ].join("\n");
}

export function formatBlock(side: SideName, block: BlockSample): string {
  const requests = block.requests;
  const ttft = requests.map((r) => r.ttftMs).sort((a, b) => a - b);
  const tps = block.tokensPerSecond.reduce((a, b) => a + b, 0) / block.tokensPerSecond.length;
  const noise = `others ${block.otherCores.toFixed(2)}, steal ${block.stealCores.toFixed(2)} cores`;
  return (
    `    ${side.padEnd(12)} c=${block.concurrency} ${requests.length} requests, ` +
    `TTFT ${ms(ttft[0] ?? Number.NaN)}..${ms(ttft.at(-1) ?? Number.NaN)} ms, ` +
    `${tps.toFixed(1)} tok/s, ${noise}${block.clean ? "" : "  NOISY"}`
  );
}

export interface ControlResults {
  benchmark: "control";
  timestamp: string;
  llamaCppCommit: string;
  models: { preset: string; type: string; path: string; digest: string; outputsAgree: boolean }[];
  machine: MachineInfo;
  settings: ControlSettings;
  noiseLimitCores: number;
  rows: RowSummary[];
  runs: RunSample[];
}
