// Turns the runs into per-model, per-concurrency percentiles for both sides and their differences.
import { median } from "../engine/report.js";
import type {
  BlockSample,
  ControlSettings,
  ModelCase,
  Percentiles,
  RowSummary,
  RunSample,
  SideName,
  SideSummary,
} from "./types.js";

/** Linear interpolation between closest ranks (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const low = sorted[lo] as number;
  return low + ((sorted[hi] as number) - low) * (rank - lo);
}

function percentiles(values: readonly number[]): Percentiles {
  return { p50: percentile(values, 0.5), p95: percentile(values, 0.95) };
}

function blocksOf(runs: readonly RunSample[], model: ModelCase, side: SideName, c: number) {
  return runs
    .filter((run) => run.model === model.preset && run.side === side)
    .flatMap((run) => run.blocks.filter((block) => block.concurrency === c));
}

/** The blocks a summary is taken over: the clean ones, or all when noise spoiled every one. */
function usable(blocks: readonly BlockSample[]): BlockSample[] {
  const clean = blocks.filter((b) => b.clean);
  return clean.length > 0 ? clean : [...blocks];
}

function sideSummary(blocks: readonly BlockSample[]): SideSummary {
  const requests = usable(blocks).flatMap((b) => b.requests);
  const admitted = requests.flatMap((r) => (r.admittedMs === undefined ? [] : [r.admittedMs]));
  return {
    ttftMs: percentiles(requests.map((r) => r.ttftMs)),
    gapMs: percentiles(requests.flatMap((r) => r.gapsMs)),
    decodeMsPerToken: median(requests.map((r) => (r.totalMs - r.ttftMs) / (r.tokensOut - 1))),
    tokensPerSecond: median(usable(blocks).flatMap((b) => b.tokensPerSecond)),
    ...(admitted.length > 0 ? { admittedMsP50: median(admitted) } : {}),
    requests: requests.length,
    blocks: { clean: blocks.filter((b) => b.clean).length, total: blocks.length },
  };
}

export function summarize(settings: ControlSettings, runs: readonly RunSample[]): RowSummary[] {
  return settings.models.flatMap((model) =>
    settings.concurrency.map((c) => {
      const direct = sideSummary(blocksOf(runs, model, "direct", c));
      const orchestrated = sideSummary(blocksOf(runs, model, "orchestrated", c));
      return {
        model: model.preset,
        concurrency: c,
        direct,
        orchestrated,
        addedTtftP50Ms: orchestrated.ttftMs.p50 - direct.ttftMs.p50,
        addedGapP50Ms: orchestrated.gapMs.p50 - direct.gapMs.p50,
        addedDecodeMsPerToken: orchestrated.decodeMsPerToken - direct.decodeMsPerToken,
        tokensPerSecondRatio: orchestrated.tokensPerSecond / direct.tokensPerSecond,
      };
    }),
  );
}

/** True while some concurrency of this model has no clean block on a side. */
export function needsCleanSamples(
  settings: ControlSettings,
  model: ModelCase,
  runs: readonly RunSample[],
): boolean {
  const sides: SideName[] = ["direct", "orchestrated"];
  return settings.concurrency.some((c) =>
    sides.some((side) => !blocksOf(runs, model, side, c).some((b) => b.clean)),
  );
}

/** At concurrency 1 both sides generate greedily from the same prompts: outputs must agree. */
export function outputsAgree(model: ModelCase, runs: readonly RunSample[]): boolean {
  const outputs = (side: SideName) =>
    new Set(blocksOf(runs, model, side, 1).flatMap((b) => b.requests.map((r) => r.output)));
  const direct = outputs("direct");
  const orchestrated = outputs("orchestrated");
  return direct.size === orchestrated.size && [...direct].every((o) => orchestrated.has(o));
}
