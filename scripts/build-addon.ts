// Builds the addon (and llama.cpp under it) with cmake-js in a cached build tree; copies nothing:
// CMake writes llama_orch.node and the fake NVML library straight into build/ (CPU) or build/cuda/.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { addonOutDir, buildDir, repoRoot } from "../src/common/paths.js";
import { type CudaToolchain, cudaToolchain } from "./cuda-toolchain.js";
import { ensureLlamaCppSource, type LlamaCppSource } from "./llama-cpp-source.js";

export const cmakeJs = join(repoRoot, "node_modules", "cmake-js", "bin", "cmake-js");

function requireTool(name: string, hint: string): void {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(`${name} not found: ${hint}`);
  }
}

/** cmake-js options after the command: the tree, the source, and the CUDA toolkit if given. */
export function addonCmakeArgs(
  source: LlamaCppSource,
  out: string,
  cuda?: CudaToolchain,
): string[] {
  const args = [
    "--log-level",
    "warn",
    "--out",
    out,
    "--parallel",
    String(availableParallelism()),
    `--CDLLAMA_CPP_DIR=${source.dir}`,
    `--CDLLAMA_ORCH_OUT_DIR=${addonOutDir(cuda ? "cuda" : "cpu")}`,
    `--CDLLAMA_ORCH_LLAMA_COMMIT=${source.commit}`,
    `--CDLLAMA_ORCH_CUDA=${cuda ? "ON" : "OFF"}`,
  ];
  if (cuda) args.push(...cuda.definitions.map((definition) => `--CD${definition}`));
  return args;
}

export async function buildAddon(): Promise<void> {
  requireTool("cmake", "install it (Debian: apt-get install cmake) and run `npm run build:addon`");
  const source = await ensureLlamaCppSource();
  const toolchain = process.env.LLAMA_ORCH_CUDA === "1" ? cudaToolchain() : undefined;
  const out = buildDir(toolchain ? "cuda" : "cpu");
  // A configure that failed leaves a cache but no build files; cmake-js build would not retry it.
  const configured = existsSync(join(out, "build.ninja")) || existsSync(join(out, "Makefile"));
  const args = addonCmakeArgs(source, out, toolchain);
  const what = toolchain ? `CUDA ${toolchain.archs} with ${toolchain.nvcc}` : "CPU";
  console.log(`llama-orch: building the addon (${what}) in ${out}`);
  const env = toolchain?.env ?? process.env;
  const run = (command: string) =>
    execFileSync(process.execPath, [cmakeJs, command, ...args], {
      cwd: repoRoot,
      env,
      stdio: "inherit",
    });
  run(configured ? "build" : "configure");
  if (!configured) run("build");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildAddon();
}
