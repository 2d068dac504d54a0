// Downloads one file resumably and verified: disk space checked first, `Range` from the partial
// file after a drop or a restart, sha256 streamed while writing, atomic rename only on a match.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, stat, statfs, truncate, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { OrchError } from "../../common/errors.js";
import { recordDigest } from "../model-digest.js";
import type { RemoteFile } from "./remote-file.js";

export interface ByteProgress {
  /** Bytes on disk for this file, resumed ones included. */
  bytes: number;
  total?: number;
}

export interface DownloadOptions {
  onBytes(progress: ByteProgress): void;
  /** Attempts in a row that may fail without adding a byte before the pull gives up. */
  retries?: number;
  retryDelayMs?: number;
}

export interface Downloaded {
  path: string;
  sha256: string;
  size: number;
  /** True when the bytes matched a digest the source gave. */
  verified: boolean;
}

export function partialPath(dest: string): string {
  return `${dest}.partial`;
}

async function sizeOnDisk(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

async function hashInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
}

/** Refuses before writing when the disk cannot hold what is left to download. */
export async function checkFreeSpace(dir: string, needed: number, name: string): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (needed > free) {
    throw new OrchError(
      "INSUFFICIENT_STORAGE",
      `${name} needs ${needed} more bytes in ${dir} but only ${free} are free; free some space (llama-orch models gc) or set models.cache_dir to a larger disk`,
    );
  }
}

interface Attempt {
  file: RemoteFile;
  partial: string;
  hash: Hash;
  /** Bytes fed to `hash`. */
  hashed: number;
  options: DownloadOptions;
}

/** One GET from `offset`; resolves with the new offset, throws when the body drops. */
async function fetchFrom(attempt: Attempt, offset: number): Promise<number> {
  const { file, partial, options } = attempt;
  const headers: Record<string, string> = { ...file.headers };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const res = await fetch(file.url, { headers, redirect: "follow" });
  if (res.status === 416 && offset === file.size) return offset;
  if (offset > 0 && res.status === 200) {
    // The server ignored the Range: start over rather than append a second copy.
    attempt.hash = createHash("sha256");
    attempt.hashed = 0;
    await truncate(partial, 0);
    offset = 0;
  } else if (!res.ok) {
    const code = res.status >= 500 ? "MODEL_SOURCE_UNAVAILABLE" : "MODEL_NOT_FOUND";
    throw new OrchError(code, `${file.name}: download answered ${res.status}`);
  }
  const handle = await open(partial, "a");
  try {
    for await (const chunk of res.body ?? []) {
      const bytes = chunk as Uint8Array;
      await handle.write(bytes);
      attempt.hash.update(bytes);
      offset += bytes.byteLength;
      attempt.hashed = offset;
      options.onBytes({ bytes: offset, total: file.size });
    }
  } finally {
    await handle.close();
  }
  return offset;
}

/** A dropped connection or refused fetch (undici throws TypeError) or a 5xx; not a disk error. */
function retriable(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    (error instanceof OrchError && error.code === "MODEL_SOURCE_UNAVAILABLE")
  );
}

function unavailable(error: unknown, file: RemoteFile): unknown {
  if (!(error instanceof TypeError)) return error;
  const why = (error.cause as Error | undefined)?.message ?? error.message;
  return new OrchError(
    "MODEL_SOURCE_UNAVAILABLE",
    `${file.name}: download from ${new URL(file.url).host} failed (${why}); pull again to resume`,
  );
}

/** After a failure, the hash must cover exactly the bytes on disk. */
async function resync(attempt: Attempt): Promise<number> {
  const onDisk = await sizeOnDisk(attempt.partial);
  if (onDisk !== attempt.hashed) {
    attempt.hash = createHash("sha256");
    await hashInto(attempt.hash, attempt.partial);
    attempt.hashed = onDisk;
  }
  return onDisk;
}

async function fetchAll(attempt: Attempt, start: number): Promise<number> {
  const retries = attempt.options.retries ?? 5;
  let offset = start;
  for (let failures = 0; ; ) {
    const before = offset;
    try {
      offset = await fetchFrom(attempt, offset);
      if (attempt.file.size === undefined || offset >= attempt.file.size) return offset;
    } catch (error) {
      offset = await resync(attempt);
      if (!retriable(error) || (offset === before && ++failures > retries)) {
        throw unavailable(error, attempt.file);
      }
    }
    if (offset > before) failures = 0;
    await new Promise((r) => setTimeout(r, attempt.options.retryDelayMs ?? 200));
  }
}

/** The digest of what is on disk at `dest` when it is already the wanted file, else undefined. */
async function alreadyThere(file: RemoteFile, dest: string): Promise<Downloaded | undefined> {
  const size = await sizeOnDisk(dest);
  if (size === 0 || file.sha256 === undefined || (file.size !== undefined && size !== file.size)) {
    return undefined;
  }
  const hash = createHash("sha256");
  await hashInto(hash, dest);
  const sha256 = hash.digest("hex");
  return sha256 === file.sha256 ? { path: dest, sha256, size, verified: true } : undefined;
}

/** Downloads to one destination, in order: two refs naming one blob must not share a partial. */
const byDest = new Map<string, Promise<Downloaded>>();

/** Downloads `file` to `dest` (resuming `dest.partial`); MODEL_DIGEST_MISMATCH deletes it. */
export function downloadFile(
  file: RemoteFile,
  dest: string,
  options: DownloadOptions,
): Promise<Downloaded> {
  const before = byDest.get(dest)?.catch(() => undefined) ?? Promise.resolve();
  const run = before.then(() => downloadOnce(file, dest, options));
  byDest.set(dest, run);
  const forget = () => {
    if (byDest.get(dest) === run) byDest.delete(dest);
  };
  run.then(forget, forget);
  return run;
}

async function downloadOnce(
  file: RemoteFile,
  dest: string,
  options: DownloadOptions,
): Promise<Downloaded> {
  await mkdir(dirname(dest), { recursive: true });
  const done = await alreadyThere(file, dest);
  if (done) return done;
  const partial = partialPath(dest);
  let offset = await sizeOnDisk(partial);
  if (file.size !== undefined && offset > file.size) {
    await truncate(partial, 0);
    offset = 0;
  }
  await checkFreeSpace(dirname(dest), (file.size ?? 0) - offset, file.name);
  const attempt: Attempt = { file, partial, hash: createHash("sha256"), hashed: offset, options };
  if (offset > 0) await hashInto(attempt.hash, partial);
  options.onBytes({ bytes: offset, total: file.size });
  const size = await fetchAll(attempt, offset);
  const sha256 = attempt.hash.digest("hex");
  if (file.sha256 !== undefined && sha256 !== file.sha256) {
    await unlink(partial).catch(() => undefined);
    throw new OrchError(
      "MODEL_DIGEST_MISMATCH",
      `${file.name}: downloaded bytes have sha256:${sha256}, the source says sha256:${file.sha256}; the partial file was deleted, pull again`,
    );
  }
  await rename(partial, dest);
  await recordDigest(dest, sha256);
  return { path: dest, sha256, size, verified: file.sha256 !== undefined };
}
