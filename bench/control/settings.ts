// Reads the control-plane benchmark's command line into the settings both sides share.
import { parseArgs } from "node:util";
import type { PresetName } from "../../src/models/presets.js";
import { argumentParser } from "../cli-args.js";
import type { ControlSettings, ModelCase } from "./types.js";

const usage = `usage: npm run bench:control -- [--threads N] [--rounds N] [--model tiny|bench] [--quick] [--cpu-prof DIR]

  --threads N     CPU threads of the engine on both sides (default 2)
  --rounds N      direct / orchestrated runs per model, alternated (default 3; --quick: 1)
  --model M       only this model (default: tiny, then bench)
  --quick         smoke run: one round, fewer requests
  --cpu-prof DIR  profile serve and its worker (V8 CPU profiles in DIR); slows them down`;

const args = argumentParser(usage);
// Annotated so a call narrows control flow as `never` does.
const fail: (message: string) => never = args.fail;
const { positiveInt } = args;

function parseCli() {
  try {
    return parseArgs({
      options: {
        threads: { type: "string", default: "2" },
        rounds: { type: "string" },
        model: { type: "string" },
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

/**
 * tiny's tokens cost ~0.3 ms, so whatever the control plane adds dominates there; bench is what a
 * user of a small real model sees. Each names the same generated file on both sides.
 */
const allModels: readonly ModelCase[] = [
  { preset: "tiny", type: "f16", modelRef: "builtin:tiny", maxTokens: 128 },
  { preset: "bench", type: "q8_0", modelRef: "builtin:bench", maxTokens: 64 },
];

function pickModels(name: string | undefined): ModelCase[] {
  if (name === undefined) return [...allModels];
  const found = allModels.find((m) => m.preset === (name as PresetName));
  if (!found) fail(`--model must be one of ${allModels.map((m) => m.preset).join(", ")}`);
  return [found];
}

export function readSettings(): ControlSettings {
  const values = parseCli();
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const quick = values.quick;
  return {
    models: pickModels(values.model),
    threads: positiveInt("threads", values.threads),
    rounds: values.rounds === undefined ? (quick ? 1 : 3) : positiveInt("rounds", values.rounds),
    concurrency: [1, 8],
    slots: 8,
    contextPerSequence: 1024,
    sequentialRequests: quick ? 3 : 8,
    waves: quick ? 1 : 3,
    seed: 1234,
    quick,
    cpuProfileDir: values["cpu-prof"],
  };
}
