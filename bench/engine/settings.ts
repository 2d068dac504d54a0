// Reads the benchmark's command line into the settings both sides share.
import { parseArgs } from "node:util";
import { isWeightType, weightTypes } from "../../src/models/presets.js";
import { argumentParser } from "../cli-args.js";
import type { BenchSettings } from "./types.js";

const usage = `usage: npm run bench:engine -- [--threads N] [--repeats N] [--type ${weightTypes.join("|")}] [--gpu-layers=N] [--quick]

  --threads N       CPU threads for both sides (default 2)
  --repeats N       addon / llama-batched-bench runs, alternated (default 3; --quick: 1)
  --type T          weight type of the generated bench model (default q8_0)
  --gpu-layers=N    layers on GPU 0 on both sides, -1: all (default 0); needs the CUDA addon
                    (LLAMA_ORCH_ADDON) and LLAMA_ORCH_CUDA=1 for the tool
  --quick           smoke run: B = 1,4 and one repeat`;

const args = argumentParser(usage);
// Annotated so a call narrows control flow as `never` does.
const fail: (message: string) => never = args.fail;
const { positiveInt, gpuLayers } = args;

function parseCli() {
  try {
    return parseArgs({
      options: {
        threads: { type: "string", default: "2" },
        repeats: { type: "string" },
        type: { type: "string", default: "q8_0" },
        "gpu-layers": { type: "string", default: "0" },
        quick: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

export function readSettings(): BenchSettings {
  const values = parseCli();
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!isWeightType(values.type)) fail(`--type must be one of ${weightTypes.join(", ")}`);
  const quick = values.quick;
  return {
    modelType: values.type,
    threads: positiveInt("threads", values.threads),
    gpuLayers: gpuLayers(values["gpu-layers"]),
    repeats:
      values.repeats === undefined ? (quick ? 1 : 3) : positiveInt("repeats", values.repeats),
    parallel: quick ? [1, 4] : [1, 2, 4, 8, 16],
    promptTokens: 128,
    generateTokens: 128,
    batchSize: 2048,
    ubatchSize: 512,
    // Prompt + generation exactly fill a sequence's share of the KV cache, as in batched-bench.
    contextPerSequence: 256,
    seed: 1234,
    quick,
  };
}

/** Slots on our side, n_seq_max on batched-bench's (it takes the largest -npl). */
export function slotCount(settings: BenchSettings): number {
  return Math.max(...settings.parallel);
}

/** The whole KV cache: batched-bench's -c, and what our engine allocates for all slots. */
export function totalContext(settings: BenchSettings): number {
  return settings.contextPerSequence * slotCount(settings);
}
