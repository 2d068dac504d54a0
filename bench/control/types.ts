// The shapes the control-plane benchmark passes between its sides, its runner and its report.

import type { PresetName, WeightType } from "../../src/models/presets.js";
import type { Noise } from "../engine/cpu-meter.js";

/** One model, loaded from the same generated file by the engine and by serve's worker. */
export interface ModelCase {
  preset: PresetName;
  type: WeightType;
  /** What serve's pool config names; resolves to ensureModel(preset, type). */
  modelRef: string;
  maxTokens: number;
}

export interface ControlSettings {
  models: ModelCase[];
  threads: number;
  rounds: number;
  /** Requests in flight at once; each is one block per side per round. */
  concurrency: number[];
  slots: number;
  contextPerSequence: number;
  /** Concurrency 1: this many requests, one after another. */
  sequentialRequests: number;
  /** Concurrency above 1: this many waves of that many requests submitted at once. */
  waves: number;
  /** Greedy sampling, but the seed is fixed anyway so both sides get identical requests. */
  seed: number;
  quick: boolean;
  cpuProfileDir: string | undefined;
}

export type SideName = "direct" | "orchestrated";

/** One generation as its caller saw it, in ms from the call (submit) on the caller's clock. */
export interface RequestSample {
  ttftMs: number;
  /**
   * Orchestrated only: call to the `admitted` event. Serve streams a task only once admission has
   * finished (prompt counted by the worker, records saved), so events that came first wait for it.
   */
  admittedMs?: number;
  /** Between consecutive token events. */
  gapsMs: number[];
  totalMs: number;
  tokensIn: number;
  tokensOut: number;
  /** Short hash of the generated token ids: the two sides must agree at concurrency 1. */
  output: string;
}

/** What one side of the comparison offers the runner. */
export interface Side {
  readonly name: SideName;
  /** sha256 of the model file this side loaded. */
  readonly modelDigest: string;
  /** Processes besides this one whose CPU counts as the benchmark's own, not as noise. */
  pids(): number[];
  generate(prompt: string, maxTokens: number): Promise<RequestSample>;
  close(): Promise<void>;
}

/** One concurrency level on one side in one round, with what other processes did meanwhile. */
export interface BlockSample extends Noise {
  concurrency: number;
  clean: boolean;
  requests: RequestSample[];
  /** Aggregate generated tokens/s: per request at concurrency 1, per wave above. */
  tokensPerSecond: number[];
}

export interface RunSample {
  model: PresetName;
  side: SideName;
  round: number;
  startedAt: string;
  /** 1-minute load average just before the run (/proc/loadavg). */
  loadAvg1: number;
  wallSeconds: number;
  blocks: BlockSample[];
}

export interface Percentiles {
  p50: number;
  p95: number;
}

export interface SideSummary {
  ttftMs: Percentiles;
  gapMs: Percentiles;
  /** Median over requests of (total - TTFT) / (tokens - 1): per-token cost, coalescing aside. */
  decodeMsPerToken: number;
  tokensPerSecond: number;
  /** Orchestrated only: median of RequestSample.admittedMs. */
  admittedMsP50?: number;
  requests: number;
  blocks: { clean: number; total: number };
}

export interface RowSummary {
  model: PresetName;
  concurrency: number;
  direct: SideSummary;
  orchestrated: SideSummary;
  addedTtftP50Ms: number;
  addedGapP50Ms: number;
  addedDecodeMsPerToken: number;
  tokensPerSecondRatio: number;
}
