// Finds a generated model in the models cache, generating it on first use.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { modelsDir } from "../common/paths.js";
import { generateModel } from "./generate-model.js";
import { DEFAULT_SEED, modelFileName, type PresetName, type WeightType } from "./presets.js";

/** Callers in one process share one generation; callers in other processes race harmlessly. */
const inFlight = new Map<string, Promise<string>>();

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The path of `<modelsDir()>/<preset>-<type>-s<seed>.gguf`, generated if missing. Generation
 * renames a finished temp file into place, so the path only ever holds a whole model; two
 * processes that both generate write identical bytes and the second rename is harmless.
 */
export function ensureModel(
  preset: PresetName,
  type: WeightType = "f16",
  seed: number = DEFAULT_SEED,
): Promise<string> {
  const path = join(modelsDir(), modelFileName(preset, type, seed));
  const pending = inFlight.get(path);
  if (pending) return pending;
  const job = (async () => {
    if (!(await exists(path))) await generateModel({ preset, type, seed, outPath: path });
    return path;
  })().finally(() => inFlight.delete(path));
  inFlight.set(path, job);
  return job;
}
