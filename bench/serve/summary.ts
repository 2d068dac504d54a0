// Turns the rounds into medians per level and surface, llama-orch/llama-server ratios, and targets.
import { median } from "../engine/report.js";
import { percentiles } from "./load.js";
import type {
  LevelSample,
  LevelSummary,
  MemorySummary,
  MultiTurnSample,
  MultiTurnSummary,
  ServerName,
  ServerRun,
  ServeSettings,
  ServeSummary,
  SurfaceName,
  SurfaceSummary,
} from "./types.js";

const orchSurfaces: readonly SurfaceName[] = ["orch-openai", "orch-native"];
const allSurfaces: readonly SurfaceName[] = ["llama-server", ...orchSurfaces];

/** Target (2): llama-orch's TTFT p50 at c=1 at most this much above llama-server's. */
export const TTFT_C1_MARGIN_MS = 10;
/** Target (3): llama-orch's multi-turn TTFT p50 at most this fraction of llama-server's. */
export const MULTI_TURN_RATIO = 0.5;
/** Issue 9's targets: agents warm-turn TTFT p50 <= 0.5x llama-server's, shared system <= 0.7x. */
export const AGENTS_RATIO = 0.5;
export const SHARED_SYSTEM_RATIO = 0.7;

/** Median over rounds of the TTFT p50 of turns from `fromTurn` on (0: every turn). */
function ttftP50From(samples: readonly MultiTurnSample[], fromTurn: number): number {
  const use = usable(samples);
  return median(use.map((s) => percentiles(s.ttftsMs.slice(fromTurn).flat()).p50));
}

function ratioTarget(name: string, value: number, limit: number) {
  return { met: value <= limit, detail: `${name} ${value.toFixed(3)} (target <= ${limit})` };
}

/** The samples a median is taken over: the clean ones, or all when noise spoiled every one. */
function usable<T extends { clean: boolean }>(samples: readonly T[]): T[] {
  const clean = samples.filter((s) => s.clean);
  return clean.length > 0 ? clean : [...samples];
}

const rounds = (samples: readonly { clean: boolean }[]) => ({
  clean: samples.filter((s) => s.clean).length,
  total: samples.length,
});

function surfaceSummary(samples: readonly LevelSample[]): SurfaceSummary {
  const use = usable(samples);
  const med = (pick: (s: LevelSample) => number) => median(use.map(pick));
  return {
    tokensPerSecond: med((s) => s.tokensPerSecond),
    requestsPerSecond: med((s) => s.requestsPerSecond),
    ttftMs: { p50: med((s) => s.ttftMs.p50), p95: med((s) => s.ttftMs.p95) },
    itlMs: { p50: med((s) => s.itlMs.p50), p95: med((s) => s.itlMs.p95) },
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    rounds: rounds(samples),
  };
}

function levelSummary(runs: readonly ServerRun[], c: number): LevelSummary {
  const levels = runs.flatMap((run) => run.levels.filter((l) => l.concurrency === c));
  const summary: LevelSummary = {
    concurrency: c,
    surfaces: {},
    tokensPerSecondRatio: {},
    ttftP50Ratio: {},
  };
  for (const surface of allSurfaces) {
    const samples = levels.filter((l) => l.surface === surface);
    if (samples.length > 0) summary.surfaces[surface] = surfaceSummary(samples);
  }
  const peer = summary.surfaces["llama-server"];
  for (const surface of orchSurfaces) {
    const ours = summary.surfaces[surface];
    if (!ours || !peer) continue;
    summary.tokensPerSecondRatio[surface] = ours.tokensPerSecond / peer.tokensPerSecond;
    summary.ttftP50Ratio[surface] = ours.ttftMs.p50 / peer.ttftMs.p50;
  }
  return summary;
}

function multiTurnSummary(samples: readonly MultiTurnSample[]): MultiTurnSummary | undefined {
  const [first] = samples;
  if (!first) return undefined;
  const use = usable(samples);
  const turns = first.ttftsMs.length;
  const perTurn = Array.from({ length: turns }, (_, k) => {
    const each = use.map((s) => percentiles(s.ttftsMs[k] ?? []));
    return { p50: median(each.map((p) => p.p50)), p95: median(each.map((p) => p.p95)) };
  });
  const overallEach = use.map((s) => percentiles(s.ttftsMs.flat()));
  const mean = (values: readonly number[]) =>
    values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const perTurnMean = (pick: (s: MultiTurnSample) => number[][]) =>
    Array.from({ length: turns }, (_, k) => mean(use.flatMap((s) => pick(s)[k] ?? [])));
  const reported = use.some((s) => s.cachedTokens.some((turn) => turn.length > 0));
  return {
    surface: first.surface,
    perTurn,
    overall: {
      p50: median(overallEach.map((p) => p.p50)),
      p95: median(overallEach.map((p) => p.p95)),
    },
    tokensInPerTurn: perTurnMean((s) => s.tokensIn),
    cachedTokensPerTurn: reported ? perTurnMean((s) => s.cachedTokens) : [],
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    rounds: rounds(samples),
  };
}

function memorySummary(runs: readonly ServerRun[]): MemorySummary | undefined {
  if (runs.length === 0) return undefined;
  const roles = new Set(runs.flatMap((run) => Object.keys(run.memory.peakByRole)));
  const peakByRole = Object.fromEntries(
    [...roles].map((role) => [role, median(runs.map((run) => run.memory.peakByRole[role] ?? 0))]),
  );
  return {
    peakBytes: median(runs.map((run) => run.memory.peakBytes)),
    peakByRole,
    startupMs: median(runs.map((run) => run.startupMs)),
  };
}

export function summarize(settings: ServeSettings, runs: readonly ServerRun[]): ServeSummary {
  const levels = settings.concurrency.map((c) => levelSummary(runs, c));
  const servers: ServerName[] = ["llama-server", "llama-orch"];
  const summary: ServeSummary = {
    levels,
    multiTurn: {},
    multiTurnTtftP50Ratio: Number.NaN,
    agents: {},
    agentsWarmTtftP50Ratio: Number.NaN,
    sharedSystem: {},
    sharedSystemTtftP50Ratio: Number.NaN,
    memory: {},
    targets: { tokensPerSecond: {}, ttftC1: {}, multiTurn: { met: false, detail: "" } },
  };
  for (const server of servers) {
    const own = runs.filter((run) => run.server === server);
    const multiTurn = multiTurnSummary(own.map((run) => run.multiTurn));
    if (multiTurn) summary.multiTurn[server] = multiTurn;
    const agents = multiTurnSummary(own.map((run) => run.agents));
    if (agents) summary.agents[server] = agents;
    const shared = multiTurnSummary(own.map((run) => run.sharedSystem));
    if (shared) summary.sharedSystem[server] = shared;
    const memory = memorySummary(own);
    if (memory) summary.memory[server] = memory;
  }
  const ours = summary.multiTurn["llama-orch"]?.overall.p50 ?? Number.NaN;
  const peer = summary.multiTurn["llama-server"]?.overall.p50 ?? Number.NaN;
  summary.multiTurnTtftP50Ratio = ours / peer;
  const of = (server: ServerName) => runs.filter((run) => run.server === server);
  const scenarioRatio = (pick: (run: ServerRun) => MultiTurnSample, fromTurn: number) =>
    ttftP50From(of("llama-orch").map(pick), fromTurn) /
    ttftP50From(of("llama-server").map(pick), fromTurn);
  summary.agentsWarmTtftP50Ratio = scenarioRatio((run) => run.agents, 1);
  summary.sharedSystemTtftP50Ratio = scenarioRatio((run) => run.sharedSystem, 0);
  summary.targets = checkTargets(summary);
  summary.targets.agents = ratioTarget(
    "agents warm-turn TTFT p50 ratio",
    summary.agentsWarmTtftP50Ratio,
    AGENTS_RATIO,
  );
  summary.targets.sharedSystem = ratioTarget(
    "shared system prompt TTFT p50 ratio",
    summary.sharedSystemTtftP50Ratio,
    SHARED_SYSTEM_RATIO,
  );
  return summary;
}

function checkTargets(summary: ServeSummary): ServeSummary["targets"] {
  const targets: ServeSummary["targets"] = {
    tokensPerSecond: {},
    ttftC1: {},
    multiTurn: {
      met: summary.multiTurnTtftP50Ratio <= MULTI_TURN_RATIO,
      detail: `multi-turn TTFT p50 ratio ${summary.multiTurnTtftP50Ratio.toFixed(3)} (target <= ${MULTI_TURN_RATIO})`,
    },
  };
  for (const surface of orchSurfaces) {
    const ratios = summary.levels.map((l) => ({
      c: l.concurrency,
      ratio: l.tokensPerSecondRatio[surface] ?? Number.NaN,
    }));
    const misses = ratios.filter((r) => !(r.ratio >= 1));
    targets.tokensPerSecond[surface] = {
      met: misses.length === 0,
      detail:
        misses.length === 0
          ? "tok/s ratio >= 1.00 at every concurrency"
          : `tok/s ratio < 1.00 at ${misses.map((m) => `c=${m.c} (${m.ratio.toFixed(3)})`).join(", ")}`,
    };
    const c1 = summary.levels.find((l) => l.concurrency === 1);
    const oursC1 = c1?.surfaces[surface]?.ttftMs.p50;
    const peerC1 = c1?.surfaces["llama-server"]?.ttftMs.p50;
    if (oursC1 === undefined || peerC1 === undefined) continue;
    const added = oursC1 - peerC1;
    targets.ttftC1[surface] = {
      met: added <= TTFT_C1_MARGIN_MS,
      detail: `c=1 TTFT p50 ${oursC1.toFixed(1)} vs ${peerC1.toFixed(1)} ms (${added >= 0 ? "+" : ""}${added.toFixed(1)} ms; target <= +${TTFT_C1_MARGIN_MS})`,
    };
  }
  return targets;
}
