// The load generator: a fixed number of requests per level, `concurrency` in flight at a time.
import { performance } from "node:perf_hooks";
import { percentile } from "../control/summary.js";
import type { LevelSample, Percentiles, RequestSample, SurfaceName } from "./types.js";

/** One request on one surface: the prompt in, the timed generation out (or a throw). */
export type Generate = (prompt: string) => Promise<RequestSample>;

/** The messages kept per level: enough to see what went wrong, not a log of every failure. */
const KEPT_ERRORS = 3;

export function percentiles(values: readonly number[]): Percentiles {
  return { p50: percentile(values, 0.5), p95: percentile(values, 0.95) };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Requests at one level: enough to fill every client a few times, and never too few. */
export function requestCount(concurrency: number, min: number, perClient: number): number {
  return Math.max(min, perClient * concurrency);
}

export type LevelResult = Omit<LevelSample, "otherCores" | "stealCores" | "clean">;

/**
 * Closed loop: `concurrency` clients each send their next request as soon as their previous one
 * ends, until `prompts.length` requests have been sent. Wall time runs from the first send to the
 * last end, so tokens/s is what the server sustained at that load.
 */
export async function runLevel(
  surface: SurfaceName,
  generate: Generate,
  prompts: readonly string[],
  concurrency: number,
): Promise<LevelResult> {
  const samples: RequestSample[] = [];
  const errors: string[] = [];
  let next = 0;
  const client = async () => {
    while (next < prompts.length) {
      const prompt = prompts[next++] as string;
      try {
        samples.push(await generate(prompt));
      } catch (error) {
        errors.push(errorText(error));
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, client));
  const wallMs = performance.now() - t0;
  const tokens = samples.reduce((sum, s) => sum + s.tokensOut, 0);
  return {
    surface,
    concurrency,
    requests: prompts.length,
    errors: errors.length,
    errorMessages: errors.slice(0, KEPT_ERRORS),
    wallMs,
    tokens,
    tokensPerSecond: tokens / (wallMs / 1000),
    requestsPerSecond: samples.length / (wallMs / 1000),
    ttftMs: percentiles(samples.map((s) => s.ttftMs)),
    itlMs: percentiles(samples.flatMap((s) => s.gapsMs)),
    itlMaxMs: Math.max(0, ...samples.flatMap((s) => s.gapsMs)),
    tailMaxMs: Math.max(0, ...samples.map((s) => s.tailMs)),
    ttftsMs: samples.map((s) => s.ttftMs),
  };
}
