// Obtains the pinned llama.cpp source from the npm registry (node-llama-cpp's git bundle), verified.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { cacheDir, llamaCppDir } from "../src/common/paths.js";

/** The pin: package tarball integrity (npm's sha512) and the commit its bundle must hold. */
export const llamaCppPin = {
  package: "node-llama-cpp@3.22.1",
  integrity:
    "sha512-bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw==",
  commit: "de3ff815ea7d559ee917f063901b8986f038abc6",
} as const;

export interface LlamaCppSource {
  dir: string;
  commit: string;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
}

/** The checkout's commit; a copy without .git (the GPU check's bundle) keeps it in our record. */
function headCommit(dir: string): string {
  try {
    return git(dir, "rev-parse", "HEAD");
  } catch {
    try {
      const record = JSON.parse(readFileSync(join(dir, "llama-orch-source.json"), "utf8"));
      return typeof record.commit === "string" ? record.commit : "unknown";
    } catch {
      return "unknown";
    }
  }
}

async function sha512Integrity(path: string): Promise<string> {
  const hash = createHash("sha512");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest("base64")}`;
}

async function fetchTarball(into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  const out = execFileSync(
    "npm",
    ["pack", llamaCppPin.package, "--json", "--pack-destination", into],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const [packed] = JSON.parse(out) as { filename: string }[];
  if (!packed) throw new Error(`npm pack ${llamaCppPin.package} reported no file`);
  const tarball = join(into, packed.filename);
  const integrity = await sha512Integrity(tarball);
  if (integrity !== llamaCppPin.integrity) {
    rmSync(tarball, { force: true });
    throw new Error(`${llamaCppPin.package} tarball integrity mismatch: got ${integrity}`);
  }
  return tarball;
}

async function cloneFromBundle(dest: string): Promise<void> {
  const work = join(cacheDir(), "src", `.fetch-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const tarball = await fetchTarball(work);
  execFileSync("tar", [
    "-xzf",
    tarball,
    "-C",
    work,
    "package/llama/gitRelease.bundle",
    "package/llama/llama.cpp.info.json",
  ]);
  const clone = join(work, "llama.cpp");
  execFileSync("git", ["clone", "--quiet", join(work, "package/llama/gitRelease.bundle"), clone], {
    stdio: "inherit",
  });
  const commit = headCommit(clone);
  if (commit !== llamaCppPin.commit)
    throw new Error(`llama.cpp bundle holds ${commit}, expected ${llamaCppPin.commit}`);
  const info = JSON.parse(
    readFileSync(join(work, "package/llama/llama.cpp.info.json"), "utf8"),
  ) as { tag?: string };
  const record = {
    package: llamaCppPin.package,
    integrity: llamaCppPin.integrity,
    tag: info.tag,
    commit,
  };
  writeFileSync(join(clone, "llama-orch-source.json"), `${JSON.stringify(record, null, 2)}\n`);
  rmSync(dest, { recursive: true, force: true });
  renameSync(clone, dest);
  rmSync(work, { recursive: true, force: true });
}

/** The llama.cpp checkout to build: LLAMA_CPP_DIR as it is, else the pinned clone (fetched once). */
export async function ensureLlamaCppSource(): Promise<LlamaCppSource> {
  const dir = llamaCppDir();
  if (process.env.LLAMA_CPP_DIR) {
    if (!existsSync(join(dir, "include", "llama.h"))) {
      throw new Error(`LLAMA_CPP_DIR=${dir} is not a llama.cpp checkout (no include/llama.h)`);
    }
    return { dir, commit: headCommit(dir) };
  }
  if (!existsSync(dir) || headCommit(dir) !== llamaCppPin.commit) {
    console.log(
      `llama-orch: fetching llama.cpp ${llamaCppPin.commit.slice(0, 7)} from ${llamaCppPin.package}`,
    );
    await cloneFromBundle(dir);
  }
  return { dir, commit: llamaCppPin.commit };
}
