// Resolves a pool's model ref (builtin:NAME, file:PATH or a path) to the GGUF file to load.
import { isAbsolute, resolve } from "node:path";
import { OrchError } from "../common/errors.js";
import { ensureModel } from "../models/ensure-model.js";
import { isPresetName, isWeightType, type PresetName, type WeightType } from "../models/presets.js";

/** The weight type a bare `builtin:PRESET` means: what the tests and the benchmarks use. */
const defaultWeightType: Readonly<Record<PresetName, WeightType>> = {
  tiny: "f16",
  bench: "q8_0",
};

const usage =
  "use builtin:tiny, builtin:tiny-q8_0, builtin:bench, a path to a .gguf file, or file:PATH";

function builtin(name: string, ref: string): Promise<string> {
  const dash = name.indexOf("-");
  const preset = dash < 0 ? name : name.slice(0, dash);
  const type = dash < 0 ? undefined : name.slice(dash + 1);
  if (!isPresetName(preset) || (type !== undefined && !isWeightType(type))) {
    throw new OrchError("INVALID_PARAMS", `unknown built-in model "${ref}": ${usage}`);
  }
  return ensureModel(preset, type ?? defaultWeightType[preset]);
}

/**
 * A bare word like "tiny" is more likely a mistyped builtin than a file in the working directory,
 * and "hf:org/model" a source we do not fetch from than a relative path.
 */
function looksLikePath(ref: string): boolean {
  if (/^[a-z][a-z0-9+.-]+:/i.test(ref)) return false;
  return isAbsolute(ref) || ref.includes("/") || ref.endsWith(".gguf");
}

/**
 * The absolute path of the model file a ref names. Built-in models are generated on first use; a
 * path is not checked here, so a missing file surfaces as the engine's MODEL_NOT_FOUND.
 */
export async function resolveModelRef(ref: string, cwd: string = process.cwd()): Promise<string> {
  const trimmed = ref.trim();
  if (trimmed.startsWith("builtin:")) return builtin(trimmed.slice("builtin:".length), trimmed);
  if (trimmed.startsWith("file:")) {
    const path = trimmed.slice("file:".length);
    if (path === "") throw new OrchError("INVALID_PARAMS", `"${ref}" names no file: ${usage}`);
    return resolve(cwd, path);
  }
  if (trimmed !== "" && looksLikePath(trimmed)) return resolve(cwd, trimmed);
  throw new OrchError("INVALID_PARAMS", `model ref "${ref}" is not understood: ${usage}`);
}
