// Picks the one CUDA toolkit a CUDA build compiles with, and the CMake definitions that pin it.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";

/** Ampere consumer cards (the reference RTX 3090 / 3060) and Hopper (the H200 test machine). */
export const defaultCudaArchs = "86;90";

/** Debian's nvidia-cuda-toolkit (scripts/install-cuda-toolkit.sh), then NVIDIA's usual prefix. */
const nvccCandidates = ["/usr/lib/nvidia-cuda-toolkit/bin/nvcc", "/usr/local/cuda/bin/nvcc"];

export interface CudaToolchain {
  nvcc: string;
  archs: string;
  /** CMake -D definitions (NAME=value) that pin this toolkit. */
  definitions: string[];
  /** The environment CMake and the build run in: nvcc calls ptxas, fatbinary... through PATH. */
  env: NodeJS.ProcessEnv;
}

type Env = Record<string, string | undefined>;

const isDebianNvcc = (nvcc: string) => nvcc.startsWith("/usr/lib/nvidia-cuda-toolkit/");

/** cuBLAS headers beside the toolkit: its own include/ (NVIDIA's layout) or /usr/include (Debian's). */
function hasCublas(nvcc: string): boolean {
  const root = dirname(dirname(nvcc));
  const dirs = [join(root, "include"), join(root, "targets", "x86_64-linux", "include")];
  if (isDebianNvcc(nvcc)) dirs.push("/usr/include");
  return dirs.some((dir) => existsSync(join(dir, "cublas_v2.h")));
}

function pickNvcc(env: Env): string {
  const explicit = env.CUDACXX;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`CUDACXX=${explicit} does not exist`);
    return explicit;
  }
  // A toolkit without cuBLAS (a runtime-only install) cannot build ggml-cuda: skip it.
  const usable = env.LLAMA_ORCH_CUBLAS_DIR ? existsSync : hasCublas;
  const found = nvccCandidates.find((path) => existsSync(path) && usable(path));
  if (!found)
    throw new Error(
      `no CUDA toolkit with cuBLAS found (looked for ${nvccCandidates.join(", ")}): run ` +
        "scripts/install-cuda-toolkit.sh as root, or set CUDACXX to an nvcc (and " +
        "LLAMA_ORCH_CUBLAS_DIR to a cuBLAS outside its toolkit)",
    );
  return found;
}

/** cuBLAS outside the toolkit (NVIDIA's pip wheels: lib/libcublas.so.N, include/cublas_v2.h). */
function cublasDefinitions(dir: string): string[] {
  const libDir = join(dir, "lib");
  const files = existsSync(libDir) ? readdirSync(libDir) : [];
  const lib = (stem: string) => files.find((name) => name.startsWith(`${stem}.so`));
  const cublas = lib("libcublas");
  const cublasLt = lib("libcublasLt");
  if (!cublas || !cublasLt || !existsSync(join(dir, "include", "cublas_v2.h")))
    throw new Error(
      `LLAMA_ORCH_CUBLAS_DIR=${dir} must hold lib/libcublas.so*, lib/libcublasLt.so* and include/cublas_v2.h`,
    );
  // FindCUDAToolkit keeps a CUDA_<name>_LIBRARY already in the cache, so the wheel's versioned
  // files stand in for the unversioned libcublas.so a toolkit install would have.
  return [
    `CUDA_cublas_LIBRARY=${join(libDir, cublas)}`,
    `CUDA_cublasLt_LIBRARY=${join(libDir, cublasLt)}`,
    `CMAKE_CUDA_FLAGS=-I${join(dir, "include")}`,
  ];
}

/**
 * The toolkit's own programs first on PATH: nvcc finds ptxas and friends there, and Debian's live
 * in /usr/bin, behind any other CUDA's in /usr/local/bin (this machine has nvcc 13's there).
 */
function toolkitPath(nvcc: string, path = ""): string {
  const own = isDebianNvcc(nvcc) ? [dirname(nvcc), "/usr/bin"] : [dirname(nvcc)];
  return [...own, ...path.split(":").filter((dir) => dir && !own.includes(dir))].join(":");
}

/**
 * The toolkit for LLAMA_ORCH_CUDA=1 builds: CUDACXX, else Debian's 11.8, else /usr/local/cuda.
 * The compiler is pinned explicitly so that a second toolkit on PATH (this machine's nvcc 13,
 * which has no cuBLAS) is never mixed in. CUDAHOSTCXX picks the host compiler; Debian's
 * nvidia-cuda-toolkit-gcc already points its nvcc at the newest gcc it accepts.
 */
export function cudaToolchain(env: Env = process.env): CudaToolchain {
  const nvcc = pickNvcc(env);
  const archs = env.LLAMA_ORCH_CUDA_ARCHS || defaultCudaArchs;
  // ggml looks for the toolkit before it enables CUDA: without a root, FindCUDAToolkit takes the
  // first nvcc on PATH, which need not be this one.
  const definitions = [
    `CMAKE_CUDA_COMPILER=${nvcc}`,
    `CUDAToolkit_ROOT=${dirname(dirname(nvcc))}`,
    `CMAKE_CUDA_ARCHITECTURES=${archs}`,
  ];
  // Debian splits the toolkit: nvcc under /usr/lib/nvidia-cuda-toolkit, headers in /usr/include,
  // which CMake 3.25's FindCUDAToolkit does not look for before CUDA is enabled.
  if (isDebianNvcc(nvcc)) definitions.push("CUDAToolkit_INCLUDE_DIR=/usr/include");
  if (env.CUDAHOSTCXX) definitions.push(`CMAKE_CUDA_HOST_COMPILER=${env.CUDAHOSTCXX}`);
  if (env.LLAMA_ORCH_CUBLAS_DIR) definitions.push(...cublasDefinitions(env.LLAMA_ORCH_CUBLAS_DIR));
  return { nvcc, archs, definitions, env: { ...env, PATH: toolkitPath(nvcc, env.PATH) } };
}
