// The CUDA build's configure step (issue 16): with the toolkit present, CMake accepts llama.cpp's CUDA
// backend and our addon for 86;90 with that one toolkit, CUDA 11.8's PDL shim included; without one
// the test skips and says why. About 10 s on the quiet 2-core box (nvcc's compiler checks).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { addonCmakeArgs, cmakeJs } from "../../scripts/build-addon.js";
import {
  type CudaToolchain,
  cudaToolchain,
  defaultCudaArchs,
} from "../../scripts/cuda-toolchain.js";
import { ensureLlamaCppSource } from "../../scripts/llama-cpp-source.js";
import { repoRoot } from "../../src/common/paths.js";

function findToolchain(): { toolchain?: CudaToolchain; skip: string | false } {
  try {
    // The default archs are what this test checks, whatever the caller's environment asks for.
    const env = { ...process.env, LLAMA_ORCH_CUDA_ARCHS: undefined };
    return { toolchain: cudaToolchain(env), skip: false };
  } catch (error) {
    // CI does not install the 1.6 GB toolkit: say what would make this test run.
    return { skip: `no CUDA toolkit here: ${(error as Error).message}` };
  }
}

function cacheValue(cache: string, name: string): string | undefined {
  return new RegExp(`^${name}:[A-Z]+=(.*)$`, "m").exec(cache)?.[1];
}

describe("CUDA configure", () => {
  const { toolchain, skip } = findToolchain();

  it("configures ggml-cuda and the addon for 86;90 with one toolkit's nvcc and cuBLAS", {
    skip,
    timeout: 600_000,
  }, async () => {
    assert.ok(toolchain);
    const out = mkdtempSync(join(tmpdir(), "cuda-configure-"));
    try {
      const source = await ensureLlamaCppSource();
      const args = addonCmakeArgs(source, out, toolchain);
      const run = spawnSync(process.execPath, [cmakeJs, "configure", ...args], {
        cwd: repoRoot,
        encoding: "utf8",
        env: toolchain.env,
      });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      const cache = readFileSync(join(out, "CMakeCache.txt"), "utf8");
      assert.equal(cacheValue(cache, "GGML_CUDA"), "ON");
      assert.equal(cacheValue(cache, "CMAKE_CUDA_COMPILER"), toolchain.nvcc);
      assert.equal(cacheValue(cache, "CMAKE_CUDA_ARCHITECTURES"), defaultCudaArchs);
      // cuBLAS from the chosen toolkit, never from another CUDA on the machine (nvcc 13 here).
      const cublas = cacheValue(cache, "CUDA_cublas_LIBRARY") ?? "";
      assert.ok(existsSync(cublas), `cuBLAS not found: "${cublas}"`);
      const toolkitRoot = dirname(dirname(toolchain.nvcc));
      const debian = toolchain.nvcc.startsWith("/usr/lib/nvidia-cuda-toolkit/");
      assert.ok(
        debian ? cublas.startsWith("/usr/lib/") : cublas.startsWith(toolkitRoot),
        `cuBLAS ${cublas} is not ${toolchain.nvcc}'s`,
      );
      const generated = ["build.ninja", "Makefile"].map((name) => join(out, name));
      const buildFile = generated.find((path) => existsSync(path));
      assert.ok(buildFile, "configure wrote no build files");
      const build = readFileSync(buildFile, "utf8");
      assert.match(build, /ggml-cuda/);
      // Every CUDA file gets the declarations CUDA 11.8 lacks (docs/gpu.md).
      assert.match(build, /--pre-include \S*native\/src\/cuda\/pdl-compat\.cuh/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
