// Where llama-orch keeps things outside the work tree: llama.cpp source, build trees, generated models.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in src/common). */
export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Cache root: LLAMA_ORCH_CACHE, else $XDG_CACHE_HOME/llama-orch, else ~/.cache/llama-orch. */
export function cacheDir(): string {
  const explicit = process.env.LLAMA_ORCH_CACHE;
  if (explicit) return resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg ? resolve(xdg) : join(homedir(), ".cache"), "llama-orch");
}

/** The llama.cpp checkout: LLAMA_CPP_DIR when set, else the pinned clone in the cache. */
export function llamaCppDir(): string {
  const explicit = process.env.LLAMA_CPP_DIR;
  return explicit ? resolve(explicit) : join(cacheDir(), "src", "llama.cpp");
}

/** Build trees are keyed by work tree, so two checkouts never fight over one CMake cache. */
export function buildDir(flavour: string): string {
  const tree = createHash("sha256").update(repoRoot).digest("hex").slice(0, 12);
  return join(cacheDir(), "build", `${flavour}-${tree}`);
}

/** Generated models live here, named by preset, type and seed. */
export function modelsDir(): string {
  return join(cacheDir(), "models");
}

/** Pulled models land here unless `models.cache_dir` says otherwise. */
export function pulledModelsDir(): string {
  return join(modelsDir(), "pulled");
}

/** Where the build writes the addon: build/ for the CPU flavour, build/cuda/ for CUDA. */
export function addonOutDir(flavour: "cpu" | "cuda"): string {
  return flavour === "cpu" ? join(repoRoot, "build") : join(repoRoot, "build", flavour);
}

/** The CUDA addon `LLAMA_ORCH_CUDA=1 npm run build:addon` writes. */
export const cudaAddonPath = join(addonOutDir("cuda"), "llama_orch.node");

/** The addon every process loads: LLAMA_ORCH_ADDON (e.g. the CUDA one), else the CPU build's. */
export const addonPath = process.env.LLAMA_ORCH_ADDON
  ? resolve(process.env.LLAMA_ORCH_ADDON)
  : join(addonOutDir("cpu"), "llama_orch.node");

/** The fake NVML library built from test sources. */
export const fakeNvmlPath = join(repoRoot, "build", "libfake_nvml.so");
