// Times generations from the caller's side, and drives a side at one concurrency level.
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { ControlSettings, RequestSample, Side } from "./types.js";

/** Started just before the call; fed every token as the caller receives it. */
export class RequestClock {
  private readonly startedAt = performance.now();
  private readonly tokenTimes: number[] = [];
  private readonly ids: number[] = [];
  private admittedAt: number | undefined;

  admitted(): void {
    this.admittedAt = performance.now();
  }

  token(id: number): void {
    this.tokenTimes.push(performance.now());
    this.ids.push(id);
  }

  /** A request that stopped short measured something else: it fails the run. */
  end(expected: number, tokensIn: number, tokensOut: number): RequestSample {
    const endAt = performance.now();
    const first = this.tokenTimes[0];
    if (first === undefined || this.tokenTimes.length !== expected || tokensOut !== expected) {
      throw new Error(
        `got ${this.tokenTimes.length} tokens (end says ${tokensOut}), not ${expected}`,
      );
    }
    const gapsMs = this.tokenTimes.slice(1).map((t, i) => t - (this.tokenTimes[i] as number));
    const admitted = this.admittedAt;
    return {
      ttftMs: first - this.startedAt,
      ...(admitted === undefined ? {} : { admittedMs: admitted - this.startedAt }),
      gapsMs,
      totalMs: endAt - this.startedAt,
      tokensIn,
      tokensOut,
      output: createHash("sha1").update(this.ids.join(",")).digest("hex").slice(0, 12),
    };
  }
}

export interface BlockResult {
  requests: RequestSample[];
  tokensPerSecond: number[];
}

async function sequential(
  side: Side,
  prompts: readonly string[],
  count: number,
  maxTokens: number,
) {
  const result: BlockResult = { requests: [], tokensPerSecond: [] };
  for (let i = 0; i < count; i++) {
    const sample = await side.generate(prompts[i % prompts.length] as string, maxTokens);
    result.requests.push(sample);
    result.tokensPerSecond.push(sample.tokensOut / (sample.totalMs / 1000));
  }
  return result;
}

async function waves(
  side: Side,
  prompts: readonly string[],
  concurrency: number,
  count: number,
  maxTokens: number,
) {
  const result: BlockResult = { requests: [], tokensPerSecond: [] };
  for (let wave = 0; wave < count; wave++) {
    const t0 = performance.now();
    const batch = Array.from({ length: concurrency }, (_, i) =>
      side.generate(prompts[i % prompts.length] as string, maxTokens),
    );
    const samples = await Promise.all(batch);
    const wallMs = performance.now() - t0;
    result.requests.push(...samples);
    const tokens = samples.reduce((sum, s) => sum + s.tokensOut, 0);
    result.tokensPerSecond.push(tokens / (wallMs / 1000));
  }
  return result;
}

/** Concurrency 1 runs requests back to back; above 1, waves of that many submitted at once. */
export function runBlock(
  side: Side,
  prompts: readonly string[],
  concurrency: number,
  maxTokens: number,
  settings: ControlSettings,
): Promise<BlockResult> {
  if (concurrency === 1) return sequential(side, prompts, settings.sequentialRequests, maxTokens);
  return waves(side, prompts, concurrency, settings.waves, maxTokens);
}

/** JIT, page cache, gRPC channels and llama.cpp buffers settle before anything is timed. */
export async function warmUp(side: Side, prompts: readonly string[], maxTokens: number) {
  await side.generate(prompts[0] as string, maxTokens);
  await Promise.all(prompts.map((prompt) => side.generate(prompt, maxTokens)));
  await side.generate(prompts[1 % prompts.length] as string, maxTokens);
}
