// The sha256 of a model file, computed once and cached beside it (keyed by size and mtime).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { localStores } from "./local-stores/store-roots.js";

interface DigestRecord {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export function digestCachePath(modelPath: string): string {
  return `${modelPath}.sha256.json`;
}

/** The sha256 (hex) of a file's bytes, always read afresh: what a verification needs. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function readRecord(path: string): Promise<DigestRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as DigestRecord;
  } catch {
    return undefined;
  }
}

/** Records a digest just computed (e.g. while downloading), so the first load need not rehash. */
export async function recordDigest(modelPath: string, sha256: string): Promise<void> {
  const { size, mtimeMs } = await stat(modelPath);
  const record: DigestRecord = { size, mtimeMs, sha256 };
  await writeFile(digestCachePath(modelPath), `${JSON.stringify(record)}\n`).catch(() => undefined);
}

/** A file in another tool's store (the HF hub cache, Ollama's) is used there, never written beside. */
function inForeignStore(modelPath: string): boolean {
  const { hfCache, ollama } = localStores();
  return [hfCache, ollama].some((root) => {
    const rel = relative(root, resolve(modelPath));
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  });
}

export async function modelDigest(modelPath: string): Promise<string> {
  if (inForeignStore(modelPath)) return hashFile(modelPath);
  const { size, mtimeMs } = await stat(modelPath);
  const cachePath = digestCachePath(modelPath);
  const cached = await readRecord(cachePath);
  if (cached && cached.size === size && cached.mtimeMs === mtimeMs) return cached.sha256;
  const sha256 = await hashFile(modelPath);
  const record: DigestRecord = { size, mtimeMs, sha256 };
  // A read-only model folder is fine: the digest is then computed on every load.
  await writeFile(cachePath, `${JSON.stringify(record)}\n`).catch(() => undefined);
  return sha256;
}
