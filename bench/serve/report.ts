// Prints progress lines and the summary as Markdown tables, and writes the results file.
import { percentile } from "../control/summary.js";
import { NOISE_LIMIT_CORES } from "../engine/cpu-meter.js";
import type { MachineInfo } from "../engine/machine.js";
import type {
  LevelSample,
  LevelSummary,
  MultiTurnSample,
  ServerRun,
  ServeSettings,
  ServeSummary,
  SurfaceName,
  SurfaceSummary,
} from "./types.js";

const surfaceOrder: readonly SurfaceName[] = ["llama-server", "orch-openai", "orch-native"];
const fixed = (digits: number) => (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);
const ms = fixed(1);
const rate = fixed(1);
const ratio = fixed(3);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const noiseOf = (s: { otherCores: number; stealCores: number }) =>
  `others ${s.otherCores.toFixed(2)}, steal ${s.stealCores.toFixed(2)} cores`;

export function formatLevel(level: LevelSample): string {
  const errors = level.errors > 0 ? `, ${level.errors} ERRORS (${level.errorMessages[0]})` : "";
  return (
    `    ${level.surface.padEnd(12)} c=${String(level.concurrency).padEnd(2)} ` +
    `${level.requests} req, ${rate(level.tokensPerSecond)} tok/s, ` +
    `TTFT p50 ${ms(level.ttftMs.p50)} ms, ITL p50 ${ms(level.itlMs.p50)} ms, ` +
    `max gap ${ms(level.itlMaxMs)} ms, max tail ${ms(level.tailMaxMs)} ms, ` +
    `${noiseOf(level)}${errors}${level.clean ? "" : "  NOISY"}`
  );
}

export function formatMultiTurn(sample: MultiTurnSample): string {
  const perTurn = sample.ttftsMs.map((t) => ms(percentile(t, 0.5))).join(" / ");
  const errors = sample.errors > 0 ? `, ${sample.errors} ERRORS (${sample.errorMessages[0]})` : "";
  return (
    `    ${sample.surface.padEnd(12)} multi-turn, TTFT median per turn ${perTurn} ms, ` +
    `${noiseOf(sample)}${errors}${sample.clean ? "" : "  NOISY"}`
  );
}

/** "a / b / c" over the surfaces that ran, in the table's order. */
function triple(level: LevelSummary, pick: (s: SurfaceSummary) => number, format = ms): string {
  return surfaceOrder
    .filter((name) => level.surfaces[name])
    .map((name) => format(pick(level.surfaces[name] as SurfaceSummary)))
    .join(" / ");
}

function cCell(level: LevelSummary): string {
  const noisy = Object.values(level.surfaces).some((s) => s.rounds.clean === 0);
  const errors = Object.values(level.surfaces).some((s) => s.errors > 0);
  return `${level.concurrency}${noisy ? " ~" : ""}${errors ? " !" : ""}`;
}

export function formatThroughputTable(levels: readonly LevelSummary[]): string {
  const lines = [
    "| c | tok/s llama-server | tok/s orch OpenAI | ratio | tok/s orch native | ratio | req/s (server / OpenAI / native) |",
    "|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const l of levels) {
    const s = l.surfaces;
    const cells = [
      cCell(l),
      rate(s["llama-server"]?.tokensPerSecond),
      rate(s["orch-openai"]?.tokensPerSecond),
      ratio(l.tokensPerSecondRatio["orch-openai"]),
      rate(s["orch-native"]?.tokensPerSecond),
      ratio(l.tokensPerSecondRatio["orch-native"]),
      triple(l, (x) => x.requestsPerSecond, fixed(2)),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function formatLatencyTable(levels: readonly LevelSummary[]): string {
  const lines = [
    "| c | TTFT p50 | ratio OpenAI / native | TTFT p95 | ITL p50 | ITL p95 |",
    "|--:|--:|--:|--:|--:|--:|",
  ];
  for (const l of levels) {
    const ratios = `${ratio(l.ttftP50Ratio["orch-openai"])} / ${ratio(l.ttftP50Ratio["orch-native"])}`;
    const cells = [
      cCell(l),
      triple(l, (x) => x.ttftMs.p50),
      ratios,
      triple(l, (x) => x.ttftMs.p95),
      triple(l, (x) => x.itlMs.p50, fixed(2)),
      triple(l, (x) => x.itlMs.p95, fixed(2)),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function formatMultiTurnTable(scenario: ServeSummary["multiTurn"]): string {
  const peer = scenario["llama-server"];
  const ours = scenario["llama-orch"];
  if (!peer || !ours) return "(a server has no result)";
  const lines = [
    "| turn | prompt tokens | cached llama-server / llama-orch | TTFT p50 llama-server | TTFT p50 llama-orch | ratio | TTFT p95 llama-server | TTFT p95 llama-orch |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  type P = typeof peer.overall;
  const row = (label: string, tokens: string, cached: string, p: P, o: P) =>
    `| ${label} | ${tokens} | ${cached} | ${ms(p.p50)} | ${ms(o.p50)} | ${ratio(o.p50 / p.p50)} | ${ms(p.p95)} | ${ms(o.p95)} |`;
  const count = fixed(0);
  for (const [k, p] of peer.perTurn.entries()) {
    const o = ours.perTurn[k] ?? { p50: Number.NaN, p95: Number.NaN };
    const cached = `${count(peer.cachedTokensPerTurn[k])} / ${count(ours.cachedTokensPerTurn[k])}`;
    lines.push(row(String(k + 1), count(ours.tokensInPerTurn[k]), cached, p, o));
  }
  lines.push(row("all", "", "", peer.overall, ours.overall));
  return lines.join("\n");
}

export function formatLegend(summary: ServeSummary): string {
  const memory = (["llama-server", "llama-orch"] as const).map((server) => {
    const m = summary.memory[server];
    if (!m) return `${server} -`;
    const roles = Object.entries(m.peakByRole)
      .map(([role, bytes]) => `${role} ${mib(bytes)}`)
      .join(", ");
    return `${server} ${mib(m.peakBytes)} (${roles}), ready in ${(m.startupMs / 1000).toFixed(1)} s`;
  });
  const t = summary.targets;
  const mark = (met: boolean) => (met ? "MET" : "MISSED");
  const target = (
    label: string,
    checks: Partial<Record<SurfaceName, { met: boolean; detail: string }>>,
  ) =>
    Object.entries(checks).map(
      ([surface, c]) => `${label} [${surface}]: ${mark(c.met)}: ${c.detail}`,
    );
  return [
    'Medians over rounds; ms. Cells "a / b / c" are llama-server / llama-orch OpenAI / llama-orch native.',
    "ratio = llama-orch / llama-server (tok/s: higher is better; TTFT: lower is better).",
    `"~" some surface had no clean round (others > ${NOISE_LIMIT_CORES} core): every round used; "!" requests failed.`,
    `Peak RSS of the whole process tree (median over rounds): ${memory.join("; ")}.`,
    ...target("(1) tok/s", t.tokensPerSecond),
    ...target("(2) TTFT c=1", t.ttftC1),
    `(3) multi-turn: ${mark(t.multiTurn.met)}: ${t.multiTurn.detail}`,
    ...(t.agents ? [`(4) agents: ${mark(t.agents.met)}: ${t.agents.detail}`] : []),
    ...(t.sharedSystem
      ? [`(5) shared system prompt: ${mark(t.sharedSystem.met)}: ${t.sharedSystem.detail}`]
      : []),
  ].join("\n");
}

export interface ServeResults {
  benchmark: "serve";
  timestamp: string;
  llamaCppCommit: string;
  model: { path: string; digest: string; preset: string; type: string };
  machine: MachineInfo;
  settings: ServeSettings;
  /** With port 0 standing for the free port each run picked. */
  llamaServerCommand: string[];
  /** LLAMA_ARG_* variables llama-server inherited (it reads them as flags). */
  llamaServerEnv: Record<string, string>;
  serveConfig: string;
  noiseLimitCores: number;
  summary: ServeSummary;
  runs: ServerRun[];
}
