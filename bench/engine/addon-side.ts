// Our side of the comparison: the addon's Engine driven with B sequences submitted at once.
import { performance } from "node:perf_hooks";
import { Engine } from "../../src/engine/engine.js";
import type { Sequence } from "../../src/engine/sequence.js";
import { slotCount, totalContext } from "./settings.js";
import type { BenchSettings, Throughput } from "./types.js";

interface SequenceTiming {
  firstTokenAt: number;
  endAt: number;
  /** The engine's own clock: submit to first token, and first token to end. */
  ttftMs: number;
  decodeMs: number;
}

/** Waits for a sequence's first token and its end; a short or failed sequence spoils the row. */
async function timeSequence(sequence: Sequence, expectedTokens: number): Promise<SequenceTiming> {
  let firstTokenAt: number | undefined;
  for await (const event of sequence) {
    if (event.type === "token") {
      firstTokenAt ??= performance.now();
      continue;
    }
    const endAt = performance.now();
    if (event.finishReason !== "length" || event.tokensOut !== expectedTokens) {
      const detail = event.error ? `: ${event.error.code} ${event.error.message}` : "";
      throw new Error(
        `sequence ${sequence.id} ended ${event.finishReason} after ${event.tokensOut} of ${expectedTokens} tokens${detail}`,
      );
    }
    if (firstTokenAt === undefined) throw new Error(`sequence ${sequence.id} ended with no token`);
    return { firstTokenAt, endAt, ttftMs: event.ttftMs, decodeMs: event.decodeMs };
  }
  throw new Error(`sequence ${sequence.id} stopped without an end event`);
}

/**
 * A row as JS saw it (what a caller of the engine gets), and as the engine's loop timed it: the
 * difference is event delivery to the JS thread.
 */
export interface AddonRow extends Throughput {
  engineClock: Throughput;
}

export class AddonSide {
  /**
   * Each warm-up and row runs under a tenant of its own: the prompts repeat across rows and
   * repeats, and the prefix cache would otherwise serve them from KV left by an earlier row,
   * timing a cache hit against batched-bench's cold prefill.
   */
  private tenant = 0;

  private constructor(
    private readonly engine: Engine,
    private readonly settings: BenchSettings,
  ) {}

  static async load(modelPath: string, settings: BenchSettings): Promise<AddonSide> {
    const engine = await Engine.load({
      modelPath,
      slots: slotCount(settings),
      contextSize: settings.contextPerSequence,
      threads: settings.threads,
      gpuLayers: settings.gpuLayers,
      batchSize: settings.batchSize,
      ubatchSize: settings.ubatchSize,
      // batched-bench decodes all prompts in one batch: compare the loop, not the serving policy.
      prefillChunk: settings.batchSize,
    });
    if (engine.info.contextSize * engine.info.slots !== totalContext(settings)) {
      throw new Error(
        `engine holds ${engine.info.slots} x ${engine.info.contextSize} tokens of KV`,
      );
    }
    return new AddonSide(engine, settings);
  }

  /** Pages in the weights and sizes llama.cpp's buffers before anything is timed. */
  async warmUp(prompts: readonly number[][]): Promise<void> {
    const maxTokens = 8;
    const tenant = this.nextTenant();
    const runs = prompts.map((prompt) =>
      timeSequence(this.submit(prompt, maxTokens, tenant), maxTokens),
    );
    await Promise.all(runs);
  }

  /**
   * Runs one row: every prompt submitted at once. Prefill counts from the first submit to the
   * last first token; decode from there to the last end, over the generateTokens - 1 steps that
   * follow the token sampled from the prompt's logits (batched-bench's S_TG: B tokens per step).
   */
  async measure(prompts: readonly number[][]): Promise<AddonRow> {
    const tenant = this.nextTenant();
    const startedAt = performance.now();
    const sequences = prompts.map((prompt) =>
      this.submit(prompt, this.settings.generateTokens, tenant),
    );
    const timings = await Promise.all(
      sequences.map((s) => timeSequence(s, this.settings.generateTokens)),
    );
    const lastFirstToken = Math.max(...timings.map((t) => t.firstTokenAt));
    const lastEnd = Math.max(...timings.map((t) => t.endAt));
    // The engine times each sequence from its own submit; the submits above all fall within about
    // a millisecond, so the slowest first token and end approximate the row's own window.
    const engineFirst = Math.max(...timings.map((t) => t.ttftMs));
    const engineEnd = Math.max(...timings.map((t) => t.ttftMs + t.decodeMs));
    return {
      ...this.throughput(prompts.length, lastFirstToken - startedAt, lastEnd - lastFirstToken),
      engineClock: this.throughput(prompts.length, engineFirst, engineEnd - engineFirst),
    };
  }

  private throughput(b: number, prefillMs: number, decodeMs: number): Throughput {
    const { promptTokens, generateTokens } = this.settings;
    return {
      parallel: b,
      prefillTokensPerSecond: (b * promptTokens) / (prefillMs / 1000),
      decodeTokensPerSecond: (b * (generateTokens - 1)) / (decodeMs / 1000),
    };
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }

  private nextTenant(): string {
    this.tenant += 1;
    return `bench-${this.tenant}`;
  }

  private submit(prompt: readonly number[], maxTokens: number, cacheTenant: string): Sequence {
    return this.engine.submit({
      prompt,
      maxTokens,
      cacheTenant,
      ignoreEos: true,
      sampling: { temperature: 0 },
    });
  }
}
