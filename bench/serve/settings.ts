// Reads the serving benchmark's command line into the settings both servers share.
import { parseArgs } from "node:util";
import { argumentParser } from "../cli-args.js";
import type { ServeSettings } from "./types.js";

const usage = `usage: npm run bench:serve -- [--rounds N] [--threads N] [--slots N] [--concurrency 1,2,4] [--gpu-layers=N] [--quick] [--cpu-prof DIR]

  --rounds N          llama-server / llama-orch runs, alternated (default 3; --quick: 1)
  --threads N         CPU threads of both servers (default 2)
  --slots N           sequences decoded together on both servers (default 8)
  --concurrency LIST  requests in flight per level (default 1,2,4,8,16; --quick: 1,4)
  --gpu-layers=N      layers on GPU 0 for both, -1: all (default 0: CPU); a cuda pool on our side
                      (the CUDA addon via LLAMA_ORCH_ADDON), llama-server built with LLAMA_ORCH_CUDA=1
  --quick             smoke run: one round, fewer requests, levels and conversations
  --cpu-prof DIR      V8 CPU profiles of serve and its worker in DIR; slows them down`;

const args = argumentParser(usage);
// Annotated so a call narrows control flow as `never` does.
const fail: (message: string) => never = args.fail;
const { positiveInt, gpuLayers } = args;

function parseCli() {
  try {
    return parseArgs({
      options: {
        rounds: { type: "string" },
        threads: { type: "string", default: "2" },
        slots: { type: "string", default: "8" },
        concurrency: { type: "string" },
        "gpu-layers": { type: "string", default: "0" },
        quick: { type: "boolean", default: false },
        "cpu-prof": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

function concurrencyList(value: string): number[] {
  const levels = value.split(",").map((item) => positiveInt("concurrency", item.trim()));
  return [...new Set(levels)].sort((a, b) => a - b);
}

export function readSettings(): ServeSettings {
  const values = parseCli();
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const quick = values.quick;
  const slots = positiveInt("slots", values.slots);
  const concurrency =
    values.concurrency === undefined
      ? quick
        ? [1, 4]
        : [1, 2, 4, 8, 16]
      : concurrencyList(values.concurrency);
  return {
    threads: positiveInt("threads", values.threads),
    gpuLayers: gpuLayers(values["gpu-layers"]),
    slots,
    // Room for the multi-turn scenario's longest history (~750 tokens) plus its answer.
    contextPerSequence: 1024,
    maxTokens: 64,
    // 53-65 tokens with the bench model's vocabulary: a short chat turn, as in bench:control.
    promptWords: 40,
    concurrency,
    minRequests: quick ? 4 : 8,
    requestsPerClient: quick ? 2 : 3,
    rounds: values.rounds === undefined ? (quick ? 1 : 3) : positiveInt("rounds", values.rounds),
    multiTurn: {
      clients: quick ? 4 : 8,
      turns: quick ? 3 : 4,
      preambleWords: 240,
      userWords: 20,
    },
    sharedSystem: { users: quick ? 8 : 16, preambleWords: 480, userWords: 20 },
    seed: 1234,
    quick,
    cpuProfileDir: values["cpu-prof"],
  };
}
