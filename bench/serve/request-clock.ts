// Times one streamed generation on the client's clock: start, every token chunk, end.
import { performance } from "node:perf_hooks";
import type { RequestSample } from "./types.js";

export class RequestClock {
  private readonly startedAt = performance.now();
  private readonly chunkTimes: number[] = [];
  private text = "";

  /** A chunk carrying generated text (possibly several tokens, or "" for a split character). */
  chunk(text: string): void {
    this.chunkTimes.push(performance.now());
    this.text += text;
  }

  /**
   * A request that generated anything but exactly `expected` tokens measured something else:
   * it counts as an error, never as a sample.
   */
  end(
    expected: number,
    tokensIn: number,
    tokensOut: number | undefined,
    cachedTokens?: number,
  ): RequestSample {
    const endAt = performance.now();
    const first = this.chunkTimes[0];
    if (tokensOut !== expected) {
      throw new Error(`server counted ${tokensOut ?? "no"} generated tokens, not ${expected}`);
    }
    if (first === undefined) throw new Error("no token reached the client");
    const gapsMs = this.chunkTimes.slice(1).map((t, i) => t - (this.chunkTimes[i] as number));
    const last = this.chunkTimes.at(-1) as number;
    return {
      ttftMs: first - this.startedAt,
      gapsMs,
      totalMs: endAt - this.startedAt,
      tailMs: endAt - last,
      tokensOut,
      tokensIn,
      ...(cachedTokens === undefined ? {} : { cachedTokens }),
      text: this.text,
    };
  }
}
