// Confines local model paths to the configured model directories, so a catalog entry or a pull
// cannot read (or hash and echo) any other file the server can read.
import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Config } from "../common/config.js";
import { OrchError } from "../common/errors.js";
import { modelsDir } from "../common/paths.js";
import { localStores } from "./local-stores/store-roots.js";
import { isPathRef } from "./model-ref-kind.js";

/**
 * The folders local model files may come from: pulls, built-ins, `<data_dir>/models`,
 * `models.dirs`, the folders of configured pool models, and the two stores of other tools whose
 * models are used in place (the Hugging Face hub cache, Ollama's models folder).
 */
export function allowedModelDirs(config: Pick<Config, "models" | "pools" | "dataDir">): string[] {
  const poolDirs = config.pools.filter((p) => isPathRef(p.model)).map((p) => dirname(p.model));
  const dirs = [config.models.cacheDir, modelsDir(), join(config.dataDir, "models")];
  const stores = localStores();
  dirs.push(stores.hfCache, stores.ollama);
  return [...new Set([...dirs, ...config.models.dirs, ...poolDirs])];
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

async function real(path: string): Promise<string | undefined> {
  return realpath(path).catch(() => undefined);
}

/**
 * The absolute path `raw` names when it lies under one of `dirs` (after following symlinks, so a
 * link inside cannot point outside); INVALID_PARAMS otherwise, the same answer whether or not the
 * file exists, so the refusal discloses nothing about files outside.
 */
export async function confineModelPath(raw: string, dirs: readonly string[]): Promise<string> {
  const path = resolve(raw);
  const refuse = new OrchError(
    "INVALID_PARAMS",
    `local model path ${path} is outside the model directories; move the file under one of them or add its folder to models.dirs (allowed: ${dirs.join(", ") || "none"})`,
  );
  if (!dirs.some((dir) => inside(path, resolve(dir)))) throw refuse;
  const target = await real(path);
  if (target === undefined) return path;
  for (const dir of dirs) {
    const root = (await real(dir)) ?? resolve(dir);
    if (inside(target, root)) return path;
  }
  throw refuse;
}

/** A folder to scan for models: one of `dirs` or inside one; INVALID_PARAMS otherwise. */
export function confineStoreDir(raw: string, dirs: readonly string[]): string {
  const path = resolve(raw);
  if (dirs.some((dir) => path === resolve(dir) || inside(path, resolve(dir)))) return path;
  throw new OrchError(
    "INVALID_PARAMS",
    `${path} is outside the model directories; add it to models.dirs to import from it (allowed: ${dirs.join(", ") || "none"})`,
  );
}
