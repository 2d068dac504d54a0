// GGUF files already in the Hugging Face hub cache, used where they are: `models--org--repo/
// snapshots/<commit>/<path>` links to `blobs/<sha256>` for LFS files, `refs/main` names a commit.
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { OrchError } from "../../common/errors.js";
import type { FetchedModel } from "../fetched-model.js";
import { hashFile } from "../model-digest.js";
import type { ModelRefKind } from "../model-ref-kind.js";
import { pickQuant, splitParts } from "../pull/hf-hub.js";
import { type FoundModels, reasonOf, type Skipped } from "./found-models.js";

const repoFolder = /^models--([^/]+?)--([^/]+)$/;
const splitPart = /-(\d{5})-of-(\d{5})\.gguf$/i;

export function hfRepoDir(root: string, repo: string): string {
  return join(root, `models--${repo.replace("/", "--")}`);
}

/** The snapshot a revision means: a commit as it is, a branch through `refs/<branch>`. */
async function snapshotCommit(repoDir: string, revision: string): Promise<string | undefined> {
  if (/^[0-9a-f]{40}$/.test(revision)) return revision;
  const ref = await readFile(join(repoDir, "refs", revision), "utf8").catch(() => undefined);
  return ref?.trim() || undefined;
}

/** Loadable GGUF paths of a snapshot: no projector files, a split model by its first part. */
async function snapshotGgufs(snapshot: string): Promise<string[]> {
  const entries = await readdir(snapshot, { recursive: true }).catch(() => [] as string[]);
  return entries
    .filter((p) => p.endsWith(".gguf") && !/mmproj/i.test(p))
    .filter((p) => !splitPart.test(p) || /-00001-of-/.test(p))
    .sort();
}

/** One part's bytes checked against the LFS sha256 its blob is named by (none: unverified). */
async function checkPart(file: string): Promise<{ sha256: string; verified: boolean }> {
  const blob = basename(await realpath(file));
  const sha256 = await hashFile(file);
  const lfs = /^[0-9a-f]{64}$/.test(blob);
  if (lfs && blob !== sha256) {
    throw new OrchError(
      "MODEL_DIGEST_MISMATCH",
      `${file} has sha256:${sha256}, but its blob is named ${blob}: the cached file is damaged; delete it and download it again`,
    );
  }
  return { sha256, verified: lfs };
}

interface Snapshot {
  repoDir: string;
  commit: string;
}

/** The cached model at `path` of a snapshot, every part of a split model checked. */
async function cachedModel(snap: Snapshot, path: string, ref: string): Promise<FetchedModel> {
  const dir = join(snap.repoDir, "snapshots", snap.commit);
  const parts = [];
  for (const part of splitParts(path)) parts.push(await checkPart(join(dir, part)));
  const first = join(dir, path);
  return {
    path: first,
    sha256: (parts[0] as { sha256: string }).sha256,
    size: (await stat(first)).size,
    verified: parts.every((p) => p.verified),
    source: { ref, url: first, commit: snap.commit, store: "hf-cache" },
  };
}

type HfRef = Extract<ModelRefKind, { kind: "hf-file" | "hf-quant" }>;

/**
 * The cached, verified file an `hf:` ref names, so that a pull of it downloads nothing; undefined
 * when the cache lacks it or cannot vouch for it (the pull then goes to the hub).
 */
export async function hfCacheModel(
  root: string,
  hf: HfRef,
  ref: string,
): Promise<FetchedModel | undefined> {
  const repoDir = hfRepoDir(root, hf.repo);
  const commit = await snapshotCommit(repoDir, hf.revision);
  if (commit === undefined) return undefined;
  const snap = { repoDir, commit };
  let path: string | undefined = hf.kind === "hf-file" ? hf.path : undefined;
  if (hf.kind === "hf-quant") {
    const files = await snapshotGgufs(join(repoDir, "snapshots", commit));
    path = files.length > 0 ? tryPick(files, hf.quant, hf.repo) : undefined;
  }
  if (path === undefined) return undefined;
  const model = await cachedModel(snap, path, ref).catch(() => undefined);
  return model?.verified ? model : undefined;
}

function tryPick(files: string[], quant: string, repo: string): string | undefined {
  try {
    return pickQuant(files, quant, repo)[0];
  } catch {
    return undefined;
  }
}

/** The plain name a cached file also answers to: its file name without `.gguf` or split suffix. */
function stem(path: string): string {
  return basename(path)
    .replace(splitPart, "")
    .replace(/\.gguf$/i, "");
}

async function scanRepo(root: string, folder: string, found: FetchedModel[], skipped: Skipped[]) {
  const match = repoFolder.exec(folder);
  if (!match) return;
  const repo = `${match[1]}/${match[2]}`;
  const repoDir = join(root, folder);
  const main = await snapshotCommit(repoDir, "main");
  const commits = await readdir(join(repoDir, "snapshots")).catch(() => [] as string[]);
  for (const commit of commits.sort()) {
    const snap = { repoDir, commit };
    for (const path of await snapshotGgufs(join(repoDir, "snapshots", commit))) {
      const ref = `hf:${repo}/${path}${commit === main ? "" : `@${commit}`}`;
      try {
        const model = await cachedModel(snap, path, ref);
        found.push(commit === main ? { ...model, aliases: [stem(path)] } : model);
      } catch (error) {
        skipped.push({ path: join(repoDir, "snapshots", commit, path), reason: reasonOf(error) });
      }
    }
  }
}

/** Every GGUF model in the cache: ids `hf:org/repo/path` (`@commit` off the main snapshot). */
export async function scanHfCache(root: string): Promise<FoundModels> {
  const found: FetchedModel[] = [];
  const skipped: Skipped[] = [];
  const folders = await readdir(root).catch(() => [] as string[]);
  for (const folder of folders.sort()) await scanRepo(root, folder, found, skipped);
  return { found, skipped };
}
