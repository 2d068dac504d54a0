// The measured path: `llama-orch serve` as a real child process, generations submitted over gRPC.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, errorOf, submit } from "../../test/support/grpc-calls.js";
import { type ServeProcess, startServe, waitReady } from "../../test/support/serve-process.js";
import { processTree } from "../process-tree.js";
import { benchPoolServeConfig } from "../serve-config.js";
import { RequestClock } from "./timing.js";
import type { ControlSettings, ModelCase, RequestSample, Side } from "./types.js";

/** Node refuses --cpu-prof in NODE_OPTIONS; a preload does the same in serve and its worker. */
export function profilingEnv(dir: string | undefined): NodeJS.ProcessEnv | undefined {
  if (dir === undefined) return undefined;
  const preload = fileURLToPath(new URL("./cpu-profile.mjs", import.meta.url));
  const inherited = process.env.NODE_OPTIONS ?? "";
  mkdirSync(dir, { recursive: true });
  return {
    NODE_OPTIONS: `${inherited} --import "${preload}"`.trim(),
    LLAMA_ORCH_CPU_PROFILE_DIR: resolve(dir),
  };
}

export class OrchestratedSide implements Side {
  readonly name = "orchestrated";

  private constructor(
    private readonly serve: ServeProcess,
    readonly modelDigest: string,
    private readonly seed: number,
  ) {}

  /** Resolves once the pool's worker has loaded the model and registered as ready. */
  static async start(model: ModelCase, settings: ControlSettings): Promise<OrchestratedSide> {
    const serve = await startServe({
      config: benchPoolServeConfig({ ...settings, modelRef: model.modelRef }),
      env: profilingEnv(settings.cpuProfileDir),
    });
    const [pool] = await waitReady(serve.pools);
    return new OrchestratedSide(serve, pool?.modelDigest ?? "", settings.seed);
  }

  pids(): number[] {
    const pid = this.serve.child.pid;
    return pid === undefined ? [] : processTree(pid);
  }

  async generate(prompt: string, maxTokens: number): Promise<RequestSample> {
    const clock = new RequestClock();
    const onEvent = (event: TaskEvent) => {
      if (event.event?.$case === "token") clock.token(event.event.value.id);
      else if (event.event?.$case === "admitted") clock.admitted();
    };
    const streamed = await submit(
      this.serve.orchestrator,
      {
        prompt,
        maxTokens,
        ignoreEos: true,
        seed: this.seed,
        sampling: { temperature: 0 },
      },
      onEvent,
    );
    const end = endOf(streamed);
    if (!end || end.finishReason !== FinishReason.FINISH_REASON_LENGTH) {
      const error = streamed.error ?? errorOf(streamed);
      throw new Error(`orchestrated task failed: ${error?.code} ${error?.message}`);
    }
    return clock.end(maxTokens, end.tokensIn, end.tokensOut);
  }

  /** Stops serve, which stops its worker first: nothing of this side runs afterwards. */
  close(): Promise<void> {
    return this.serve.stop();
  }
}
