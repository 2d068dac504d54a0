// The shapes the engine benchmark passes between its sides, its noise meter and its report.
import type { WeightType } from "../../src/models/presets.js";
import type { Noise } from "./cpu-meter.js";

/** Settings both sides run with; see settings.ts for where each comes from. */
export interface BenchSettings {
  modelType: WeightType;
  threads: number;
  /** Layers offloaded to the GPU on both sides (-1: all; 0: CPU only). */
  gpuLayers: number;
  repeats: number;
  /** Concurrent sequences per row (B); the largest is also the slot count. */
  parallel: number[];
  promptTokens: number;
  generateTokens: number;
  batchSize: number;
  ubatchSize: number;
  contextPerSequence: number;
  /** Seeds the prompts' token ids. */
  seed: number;
  quick: boolean;
}

/** Aggregate throughput of one row (B sequences at once) in one run. */
export interface Throughput {
  parallel: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/** One row of one run, with what other processes did meanwhile. */
export interface RowSample extends Throughput, Noise {
  clean: boolean;
  /** Addon rows only: the same row timed by the engine's loop instead of the JS thread. */
  engineClock?: Throughput;
}

export type Side = "addon" | "batched-bench";

/** One side's run over every row. */
export interface RunSample {
  side: Side;
  repeat: number;
  startedAt: string;
  /** 1-minute load average just before the run. */
  loadAvg1: number;
  wallSeconds: number;
  rows: RowSample[];
}

export interface SideCounts {
  clean: number;
  total: number;
}

/** Medians over the repeats for one B, both sides; from clean samples when a side has any. */
export interface RowSummary {
  parallel: number;
  prefill: { addon: number; batchedBench: number; ratio: number };
  decode: { addon: number; batchedBench: number; ratio: number };
  samples: { addon: SideCounts; batchedBench: SideCounts };
}
