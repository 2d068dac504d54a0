// Where the catalog may read local model files: the configured pools' model directories, the
// built-in model cache and <data_dir>/models. A path elsewhere is refused before it is opened, so
// the catalog cannot be used to probe (stat, hash) arbitrary files the server can read.
import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import type { Config } from "../common/config.js";
import { OrchError } from "../common/errors.js";
import { modelsDir } from "../common/paths.js";

/** The model directories of a config: absolute, deduplicated. */
export function modelDirsOf(config: Pick<Config, "dataDir" | "pools">): string[] {
  const dirs = [modelsDir(), join(config.dataDir, "models")];
  for (const pool of config.pools) {
    if (isAbsolute(pool.model)) dirs.push(dirname(pool.model));
  }
  return [...new Set(dirs.map((d) => resolve(d)))];
}

function inside(path: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep));
}

/**
 * Throws INVALID_PARAMS unless `path` lies under one of `dirs`, symlinks resolved. The answer is
 * the same whether or not the file exists, so it says nothing about files outside.
 */
export async function confineModelPath(path: string, dirs: readonly string[]): Promise<void> {
  const real = await realpath(path).catch(() => resolve(path));
  const realDirs = await Promise.all(dirs.map((d) => realpath(d).catch(() => d)));
  if (inside(resolve(path), dirs) && inside(real, realDirs)) return;
  throw new OrchError(
    "INVALID_PARAMS",
    `model path ${path} is outside the model directories (${dirs.join(", ")}); put the file under one of them`,
  );
}
