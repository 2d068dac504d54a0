// `builtin:PRESET[-TYPE]` model refs: which generated file each names in the models cache.
import { join } from "node:path";
import { OrchError } from "../common/errors.js";
import { modelsDir } from "../common/paths.js";
import {
  DEFAULT_SEED,
  isPresetName,
  isWeightType,
  modelFileName,
  type PresetName,
  type WeightType,
} from "./presets.js";

export const BUILTIN_PREFIX = "builtin:";

/** The weight type a bare `builtin:PRESET` means: what the tests and the benchmarks use. */
const defaultWeightType: Readonly<Record<PresetName, WeightType>> = {
  tiny: "f16",
  bench: "q8_0",
};

export const modelRefUsage =
  "use builtin:tiny, builtin:tiny-q8_0, builtin:bench, a path to a .gguf file, or file:PATH";

export interface BuiltinModel {
  preset: PresetName;
  type: WeightType;
}

/** The preset and weight type of a `builtin:` ref; INVALID_PARAMS for an unknown one. */
export function parseBuiltinRef(ref: string): BuiltinModel {
  const name = ref.trim().slice(BUILTIN_PREFIX.length);
  const dash = name.indexOf("-");
  const preset = dash < 0 ? name : name.slice(0, dash);
  const type = dash < 0 ? undefined : name.slice(dash + 1);
  if (!isPresetName(preset) || (type !== undefined && !isWeightType(type))) {
    throw new OrchError("INVALID_PARAMS", `unknown built-in model "${ref}": ${modelRefUsage}`);
  }
  return { preset, type: type ?? defaultWeightType[preset] };
}

/** Where a built-in model's generated file lives (whether or not it exists yet). */
export function builtinModelPath({ preset, type }: BuiltinModel): string {
  return join(modelsDir(), modelFileName(preset, type, DEFAULT_SEED));
}
