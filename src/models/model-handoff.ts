// The handoff JSON (seed MODP 8.3) between the control plane and a worker: one file per ensured
// catalog model, saying which file to load and the digest it must have; written and read here only.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OrchError } from "../common/errors.js";
import { modelDigest } from "./model-digest.js";

export interface ModelHandoff {
  model: {
    /** The catalog id. */
    id: string;
    /** Absolute path of the file to load (the first part of a split model). */
    path: string;
    /** `sha256:<hex>` the file must have. */
    digest: string;
    verified: boolean;
  };
  metadata: { size_bytes: number; ctx_max: number | null } & Record<string, unknown>;
}

/** `<dir>/<sha256 of the id>.json`: ids are refs with slashes and colons, not file names. */
export function handoffPath(dir: string, id: string): string {
  return join(dir, `${createHash("sha256").update(id).digest("hex").slice(0, 32)}.json`);
}

/** Writes the handoff atomically (temp file, then rename): a worker never reads half of one. */
export async function writeHandoff(dir: string, handoff: ModelHandoff): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = handoffPath(dir, handoff.model.id);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(handoff, null, 2)}\n`);
  await rename(temp, path);
  return path;
}

function shapeOf(raw: unknown, path: string): ModelHandoff {
  const handoff = raw as Partial<ModelHandoff> | null;
  const model = handoff?.model;
  const ok =
    typeof model?.path === "string" &&
    typeof model.digest === "string" &&
    /^sha256:[0-9a-f]{64}$/.test(model.digest) &&
    typeof handoff?.metadata?.size_bytes === "number";
  if (!ok) {
    throw new OrchError(
      "INVALID_PARAMS",
      `handoff ${path} lacks model.path, model.digest (sha256:<hex>) or metadata.size_bytes`,
    );
  }
  return handoff as ModelHandoff;
}

/**
 * The file a handoff names, once its size and sha256 match what the handoff says (the digest is
 * cached beside the file by size and mtime, so this costs a hash only when the file changed).
 */
export async function handoffModelPath(path: string): Promise<string> {
  const text = await readFile(path, "utf8").catch(() => {
    throw new OrchError("MODEL_NOT_FOUND", `handoff ${path} cannot be read`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new OrchError("INVALID_PARAMS", `handoff ${path} is not JSON`);
  }
  const { model, metadata } = shapeOf(raw, path);
  const info = await stat(model.path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new OrchError("MODEL_NOT_FOUND", `${model.path} (handoff ${path}): no such file`);
  }
  const actual = info.size === metadata.size_bytes ? `sha256:${await modelDigest(model.path)}` : "";
  if (actual !== model.digest) {
    const found = actual === "" ? `${info.size} bytes, not ${metadata.size_bytes}` : actual;
    throw new OrchError(
      "MODEL_DIGEST_MISMATCH",
      `${model.path} is not the model the control plane vouched for: handoff says ${model.digest}, the file has ${found}; pull or register it again`,
    );
  }
  return model.path;
}
