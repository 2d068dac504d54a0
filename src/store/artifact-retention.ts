// Artifact retention (config `artifacts.*`): drops records past the age limit, then the oldest
// until the total fits the size limit, then blob files no record names (left by a crash between
// a blob's write and its record's).
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactStore } from "./artifact-store.js";

export interface RetentionLimits {
  /** 0: no age limit. */
  maxAgeMs: number;
  /** 0: no size limit. */
  maxTotalBytes: number;
}

export interface SweepResult {
  removed: number;
  bytesFreed: number;
  orphanBlobs: number;
}

/** One retention pass; puts in flight are never touched. */
export async function sweepArtifacts(
  artifacts: ArtifactStore,
  limits: RetentionLimits,
  nowMs: number,
): Promise<SweepResult> {
  const metas = (await artifacts.allMeta()).sort((a, b) => a.createdMs - b.createdMs);
  let total = metas.reduce((sum, meta) => sum + meta.sizeBytes, 0);
  const doomed: string[] = [];
  let bytesFreed = 0;
  for (const meta of metas) {
    const tooOld = limits.maxAgeMs > 0 && nowMs - meta.createdMs > limits.maxAgeMs;
    const overSize = limits.maxTotalBytes > 0 && total > limits.maxTotalBytes;
    if (!tooOld && !overSize) break; // oldest first: every later one is younger and fits
    doomed.push(meta.id);
    total -= meta.sizeBytes;
    bytesFreed += meta.sizeBytes;
  }
  await artifacts.remove(doomed);
  const orphanBlobs = await removeOrphanBlobs(artifacts, new Set(metas.map((m) => m.id)));
  return { removed: doomed.length, bytesFreed, orphanBlobs };
}

/** Blob files (and stale temp files) whose id has no record, as of the listing above. */
async function removeOrphanBlobs(artifacts: ArtifactStore, known: Set<string>): Promise<number> {
  const shards = await readdir(artifacts.blobDir).catch(() => [] as string[]);
  let removed = 0;
  for (const shard of shards) {
    for (const name of await readdir(join(artifacts.blobDir, shard))) {
      const id = `sha256:${name.split(".")[0]}`;
      // A record made after the listing, or a put still writing, keeps its blob.
      if (known.has(id) || artifacts.isPending(id) || (await artifacts.getMeta(id))) continue;
      await rm(join(artifacts.blobDir, shard, name), { force: true });
      removed += 1;
    }
  }
  return removed;
}
