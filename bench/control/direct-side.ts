// The baseline: the engine loaded in this process, each generation submitted straight to it.
import { Engine } from "../../src/engine/engine.js";
import { RequestClock } from "./timing.js";
import type { ControlSettings, RequestSample, Side } from "./types.js";

export class DirectSide implements Side {
  readonly name = "direct";

  private constructor(
    readonly engine: Engine,
    private readonly seed: number,
  ) {}

  /** The same engine options serve's worker derives from the pool config (cpu: no GPU layers). */
  static async load(modelPath: string, settings: ControlSettings): Promise<DirectSide> {
    const engine = await Engine.load({
      modelPath,
      slots: settings.slots,
      contextSize: settings.contextPerSequence,
      threads: settings.threads,
      kvType: "f16",
      gpuLayers: 0,
    });
    return new DirectSide(engine, settings.seed);
  }

  get modelDigest(): string {
    return this.engine.info.digest;
  }

  pids(): number[] {
    return [];
  }

  async generate(prompt: string, maxTokens: number): Promise<RequestSample> {
    const clock = new RequestClock();
    const sequence = this.engine.submit({
      prompt,
      maxTokens,
      ignoreEos: true,
      sampling: { temperature: 0, seed: this.seed },
    });
    for await (const event of sequence) {
      if (event.type === "token") {
        clock.token(event.id);
        continue;
      }
      if (event.finishReason !== "length") {
        const detail = event.error ? `: ${event.error.code} ${event.error.message}` : "";
        throw new Error(`direct sequence ended ${event.finishReason}${detail}`);
      }
      return clock.end(maxTokens, event.tokensIn, event.tokensOut);
    }
    throw new Error("direct sequence stopped without an end event");
  }

  close(): Promise<void> {
    return this.engine.dispose();
  }
}
