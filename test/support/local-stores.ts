// Builds a Hugging Face hub cache and an Ollama store on disk as those tools lay them out: real
// relative symlinks from snapshots to blobs, refs/main, manifest JSON and sha256-named blobs.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { sha256 } from "./fixture-hub.js";
import { manifestOf, type PublishedLayer } from "./fixture-registry.js";

export interface CachedFile {
  bytes: Buffer;
  /** Store the blob under this name instead of its sha256 (a damaged or non-LFS file). */
  blobName?: string;
}

/** One snapshot of `org/repo` at `commit`; `main` makes refs/main point at it. */
export async function writeHfSnapshot(
  root: string,
  repo: string,
  commit: string,
  files: Record<string, CachedFile>,
  main = true,
): Promise<string> {
  const repoDir = join(root, `models--${repo.replace("/", "--")}`);
  await mkdir(join(repoDir, "blobs"), { recursive: true });
  for (const [path, file] of Object.entries(files)) {
    const blob = join(repoDir, "blobs", file.blobName ?? sha256(file.bytes));
    await writeFile(blob, file.bytes);
    const link = join(repoDir, "snapshots", commit, path);
    await mkdir(dirname(link), { recursive: true });
    await symlink(relative(dirname(link), blob), link);
  }
  if (main) {
    await mkdir(join(repoDir, "refs"), { recursive: true });
    await writeFile(join(repoDir, "refs", "main"), commit);
  }
  return repoDir;
}

/** `host/repo:tag` in an Ollama store, every layer's blob written (`corrupt` ones flipped). */
export async function writeOllamaModel(
  root: string,
  host: string,
  repo: string,
  tag: string,
  layers: PublishedLayer[],
): Promise<void> {
  const manifest = join(root, "manifests", host, ...repo.split("/"), tag);
  await mkdir(dirname(manifest), { recursive: true });
  await writeFile(manifest, manifestOf(layers));
  await mkdir(join(root, "blobs"), { recursive: true });
  for (const layer of layers) {
    const bytes = layer.corrupt ? Buffer.from(layer.bytes.map((b) => b ^ 0xff)) : layer.bytes;
    await writeFile(join(root, "blobs", `sha256-${sha256(layer.bytes)}`), bytes);
  }
}
