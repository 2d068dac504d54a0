// Checks each pool's local model file before any worker is spawned: a missing, unreadable or
// non-GGUF file is one start-up error naming the pool, not a worker crash-looping until its
// breaker opens.
import { constants } from "node:fs";
import { access, open } from "node:fs/promises";
import { resolve } from "node:path";
import type { PoolConfig } from "../common/config.js";
import { StartupError } from "../common/startup-error.js";
import { parseModelRef } from "../models/model-ref-kind.js";

/** The local path a pool's model ref names; undefined for refs that are not files (builtin:, hf:, a catalog name). */
function localPath(ref: string): string | undefined {
  const parsed = parseModelRef(ref);
  return parsed.kind === "path" ? parsed.path.replace(/^file:/, "") : undefined;
}

/** What the worker's loader would refuse first: a file that does not start with GGUF's magic. */
async function notGguf(path: string): Promise<string | undefined> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.toString("latin1") === "GGUF"
      ? undefined
      : "is not a GGUF model file";
  } catch {
    return "cannot be read"; // a directory, say
  } finally {
    await file.close();
  }
}

export async function checkPoolModels(pools: readonly PoolConfig[]): Promise<void> {
  for (const [i, pool] of pools.entries()) {
    const path = localPath(pool.model);
    if (path === undefined) continue;
    const problem = await access(resolve(path), constants.R_OK).then(
      () => notGguf(resolve(path)),
      (error: NodeJS.ErrnoException) =>
        error.code === "ENOENT" ? "does not exist" : "cannot be read",
    );
    if (problem) {
      throw new StartupError(
        `pools[${i}].model: ${path} ${problem} (pool ${pool.id}); fix the path or its permissions, or use builtin:tiny`,
      );
    }
  }
}
