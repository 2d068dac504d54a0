// Which CUDA toolkit a CUDA build pins (issue 16): CUDACXX's, its own programs first on PATH, and a
// cuBLAS from outside the toolkit (NVIDIA's pip wheels, as on the GPU test machine) when named.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cudaToolchain } from "../../scripts/cuda-toolchain.js";

function touch(path: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "");
}

describe("CUDA toolchain", () => {
  let dir: string;
  let nvcc: string;
  let wheel: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "cuda-toolchain-"));
    nvcc = join(dir, "cuda-13.0", "bin", "nvcc");
    touch(nvcc);
    wheel = join(dir, "site-packages", "nvidia", "cu13");
    for (const file of ["lib/libcublas.so.13", "lib/libcublasLt.so.13", "include/cublas_v2.h"])
      touch(join(wheel, file));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("pins CUDACXX's toolkit, the default archs 86;90, and puts its bin first on PATH", () => {
    const toolchain = cudaToolchain({ CUDACXX: nvcc, PATH: `/usr/local/bin:${dir}/cuda-13.0/bin` });
    assert.equal(toolchain.nvcc, nvcc);
    assert.equal(toolchain.archs, "86;90");
    assert.deepEqual(toolchain.definitions, [
      `CMAKE_CUDA_COMPILER=${nvcc}`,
      `CUDAToolkit_ROOT=${join(dir, "cuda-13.0")}`,
      "CMAKE_CUDA_ARCHITECTURES=86;90",
    ]);
    assert.equal(toolchain.env.PATH, `${dir}/cuda-13.0/bin:/usr/local/bin`);
  });

  it("takes cuBLAS from a wheel's versioned libraries and headers", () => {
    const toolchain = cudaToolchain({
      CUDACXX: nvcc,
      LLAMA_ORCH_CUBLAS_DIR: wheel,
      LLAMA_ORCH_CUDA_ARCHS: "90",
    });
    assert.deepEqual(toolchain.definitions.slice(2), [
      "CMAKE_CUDA_ARCHITECTURES=90",
      `CUDA_cublas_LIBRARY=${join(wheel, "lib", "libcublas.so.13")}`,
      `CUDA_cublasLt_LIBRARY=${join(wheel, "lib", "libcublasLt.so.13")}`,
      `CMAKE_CUDA_FLAGS=-I${join(wheel, "include")}`,
    ]);
  });

  it("refuses a cuBLAS folder without headers and an nvcc that is not there, naming them", () => {
    const bare = join(dir, "bare");
    touch(join(bare, "lib", "libcublas.so.13"));
    assert.throws(
      () => cudaToolchain({ CUDACXX: nvcc, LLAMA_ORCH_CUBLAS_DIR: bare }),
      new RegExp(`LLAMA_ORCH_CUBLAS_DIR=${bare} must hold .*include/cublas_v2.h`),
    );
    assert.throws(
      () => cudaToolchain({ CUDACXX: join(dir, "nope") }),
      /CUDACXX=.*nope does not exist/,
    );
  });
});
