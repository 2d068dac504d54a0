// CLI: generate a llama GGUF with seeded weights (`tsx scripts/models/generate.ts --preset bench`).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { modelsDir } from "../../src/common/paths.js";
import { generateModel } from "../../src/models/generate-model.js";
import {
  DEFAULT_SEED,
  isPresetName,
  isWeightType,
  modelFileName,
  presetNames,
  weightTypes,
} from "../../src/models/presets.js";

const usage = `usage: generate.ts [--preset ${presetNames.join("|")}] [--type ${weightTypes.join("|")}] [--seed N] [--out PATH]`;

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

function parseCli() {
  try {
    return parseArgs({
      options: {
        preset: { type: "string", default: "tiny" },
        type: { type: "string", default: "f16" },
        seed: { type: "string", default: String(DEFAULT_SEED) },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

const values = parseCli();
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const { preset, type } = values;
if (!isPresetName(preset)) fail(`unknown preset: ${preset}`);
if (!isWeightType(type)) fail(`unknown type: ${type}`);
const seed = Number(values.seed);
if (!/^\d+$/.test(values.seed) || seed > 0xffffffff) fail(`bad seed: ${values.seed}`);

const outPath = values.out ?? join(modelsDir(), modelFileName(preset, type, seed));
const started = performance.now();
const model = await generateModel({ preset, type, seed, outPath });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const mib = (model.bytes / 2 ** 20).toFixed(1);
console.log(
  `${model.path}\n${model.bytes} bytes (${mib} MiB), ${model.parameterCount} parameters, ${seconds} s`,
);
