// Resolves a pool's model ref (builtin:NAME, file:PATH or a path) to the GGUF file to load.
import { isAbsolute, resolve } from "node:path";
import { OrchError } from "../common/errors.js";
import { BUILTIN_PREFIX, parseBuiltinRef, modelRefUsage as usage } from "./builtin-ref.js";
import { ensureModel } from "./ensure-model.js";

function builtin(ref: string): Promise<string> {
  const { preset, type } = parseBuiltinRef(ref);
  return ensureModel(preset, type);
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
  if (trimmed.startsWith(BUILTIN_PREFIX)) return builtin(trimmed);
  if (trimmed.startsWith("file:")) {
    const path = trimmed.slice("file:".length);
    if (path === "") throw new OrchError("INVALID_PARAMS", `"${ref}" names no file: ${usage}`);
    return resolve(cwd, path);
  }
  if (trimmed !== "" && looksLikePath(trimmed)) return resolve(cwd, trimmed);
  throw new OrchError("INVALID_PARAMS", `model ref "${ref}" is not understood: ${usage}`);
}
