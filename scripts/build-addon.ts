// Builds the addon (and llama.cpp under it) with cmake-js in a cached build tree; copies nothing:
// CMake writes llama_orch.node and the fake NVML library straight into build/.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildDir, repoRoot } from "../src/common/paths.js";
import { ensureLlamaCppSource } from "./llama-cpp-source.js";

function requireTool(name: string, hint: string): void {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(`${name} not found: ${hint}`);
  }
}

export async function buildAddon(): Promise<void> {
  requireTool("cmake", "install it (Debian: apt-get install cmake) and run `npm run build:addon`");
  const source = await ensureLlamaCppSource();
  const cuda = process.env.LLAMA_ORCH_CUDA === "1";
  const out = buildDir(cuda ? "cuda" : "cpu");
  const cmakeJs = join(repoRoot, "node_modules", "cmake-js", "bin", "cmake-js");
  // A configure that failed leaves a cache but no build files; cmake-js build would not retry it.
  const configured = existsSync(join(out, "build.ninja")) || existsSync(join(out, "Makefile"));
  const args = [
    cmakeJs,
    configured ? "build" : "configure",
    "--log-level",
    "warn",
    "--out",
    out,
    "--parallel",
    String(availableParallelism()),
    `--CDLLAMA_CPP_DIR=${source.dir}`,
    `--CDLLAMA_ORCH_OUT_DIR=${join(repoRoot, "build")}`,
    `--CDLLAMA_ORCH_LLAMA_COMMIT=${source.commit}`,
    `--CDLLAMA_ORCH_CUDA=${cuda ? "ON" : "OFF"}`,
  ];
  const cudaArchs = process.env.LLAMA_ORCH_CUDA_ARCHS;
  if (cuda && cudaArchs) args.push(`--CDCMAKE_CUDA_ARCHITECTURES=${cudaArchs}`);
  console.log(`llama-orch: building the addon (${cuda ? "CUDA" : "CPU"}) in ${out}`);
  execFileSync(process.execPath, args, { cwd: repoRoot, stdio: "inherit" });
  if (!configured)
    execFileSync(process.execPath, [cmakeJs, "build", ...args.slice(2)], {
      cwd: repoRoot,
      stdio: "inherit",
    });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await buildAddon();
}
