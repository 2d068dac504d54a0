#!/usr/bin/env bash
# The GPU check, in one go on a bare GPU machine (no Node.js, no network): unpacks build/gpu-bundle
# (scripts/gpu-check-pack.sh), builds the CUDA addon and llama.cpp's tools, runs test/gpu, bench:engine
# against llama-batched-bench and a short bench:serve against llama-server; results and logs in $OUT.
# GPU_CHECK_CPU=1 practises every step on a CPU machine (no CUDA flags, CPU benches).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bundle=${GPU_CHECK_BUNDLE:-$root/build/gpu-bundle}
work=${GPU_CHECK_WORK:-${TMPDIR:-/tmp}/llama-orch-gpu-check}
out=${OUT:-$work/out}
# The device tool stops a command at 600 s: leave room to copy $OUT back.
budget_s=${GPU_CHECK_BUDGET_S:-570}
cpu_only=${GPU_CHECK_CPU:-0}
# Every step's own limit, when set (a practice run on a slow CPU machine needs far more).
step_limit_s=${GPU_CHECK_STEP_LIMIT_S:-}
threads=${GPU_CHECK_THREADS:-$(nproc)}
started=$(date +%s)
mkdir -p "$out/logs" "$work"
summary=$out/summary.tsv
printf 'step\tstatus\tseconds\n' >"$summary"
declare -A status

say() { printf '[gpu-check %4ds] %s\n' "$(($(date +%s) - started))" "$*"; }

# step NAME LIMIT_S NEEDS COMMAND: runs COMMAND (bash) with its log in $OUT/logs/NAME.log, within
# LIMIT_S and what is left of the budget, unless a step it needs (comma list, or -) did not pass.
step() {
  local name=$1 limit=${step_limit_s:-$2} needs=$3 command=$4 need
  for need in ${needs//,/ }; do
    if [[ $need != - && ${status[$need]:-} != ok ]]; then
      record "$name" "skipped (needs $need)" 0
      return
    fi
  done
  local left=$((budget_s - ($(date +%s) - started)))
  if ((left < 15)); then
    record "$name" "skipped (budget spent)" 0
    return
  fi
  ((limit > left)) && limit=$left
  say "$name: start (limit ${limit}s)"
  local t0 rc
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" bash -c "$command" >"$out/logs/$name.log" 2>&1
  rc=$?
  local verdict=ok
  if ((rc == 124 || rc == 137)); then verdict="timeout ${limit}s"; elif ((rc != 0)); then verdict="failed rc=$rc"; fi
  record "$name" "$verdict" $(($(date +%s) - t0))
  [[ $verdict == ok ]] || tail -n 15 "$out/logs/$name.log" | sed 's/^/    | /'
}

record() {
  status[$1]=$2
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$summary"
  say "$1: $2 (${3}s)"
}

# --- unpack: Node, node_modules, llama.cpp -------------------------------------------------------
# A bare machine may lack xz-utils; PyTorch's Python has lzma.
if command -v xz >/dev/null; then
  unxz_cat="xz -dc"
else
  unxz_cat="python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)'"
fi
export PATH="$work/node/bin:$PATH"
export LLAMA_CPP_DIR=$work/llama.cpp LLAMA_ORCH_CACHE=$work/cache
step unpack 120 - "
  set -e
  mkdir -p '$work/node/bin' '$work/llama.cpp'
  $unxz_cat '$bundle/node.xz' >'$work/node/bin/node' && chmod +x '$work/node/bin/node'
  $unxz_cat '$bundle/node_modules.tar.xz' | tar -xf - -C '$root'
  $unxz_cat '$bundle/llama.cpp.tar.xz' | tar -xf - -C '$work/llama.cpp'
  cat '$bundle/manifest.txt'
  echo \"node: \$(command -v node) \$(node --version)\""
grep '^node' "$out/logs/unpack.log" | sed 's/^/    /'

# --- probe: the GPU, the toolkit, and a cuBLAS for it ---------------------------------------------
# cuBLAS outside the toolkit: NVIDIA's pip wheels (PyTorch's), nvidia/cublas/{lib,include} for
# CUDA 12, nvidia/cu13/{lib,include} for CUDA 13. Prints the root holding lib/ and include/.
find_cublas() {
  local major=$1 lib dir
  while read -r lib; do
    dir=$(dirname "$(dirname "$lib")")
    [[ -f $dir/include/cublas_v2.h ]] && echo "$dir"
  done < <(find / -xdev \( -path /proc -o -path /sys \) -prune -o -path '*/nvidia/*' \
    -name "libcublas.so.$major*" -print 2>/dev/null) | head -n 1
}

cuda_env=()
if [[ $cpu_only != 1 ]]; then
  nvcc=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
  nvcc=$(readlink -f "$nvcc")
  toolkit=$(dirname "$(dirname "$nvcc")")
  major=$("$nvcc" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
  arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d .)
  {
    nvidia-smi || true
    "$nvcc" --version
    cmake --version | head -n 1
    ninja --version 2>/dev/null || echo "no ninja"
  } >"$out/logs/probe.log" 2>&1
  cuda_env=(LLAMA_ORCH_CUDA=1 "CUDACXX=$nvcc" "LLAMA_ORCH_CUDA_ARCHS=${arch:-90}")
  if [[ -f $toolkit/include/cublas_v2.h || -f $toolkit/targets/x86_64-linux/include/cublas_v2.h ]]; then
    say "probe: cuBLAS inside the toolkit $toolkit"
  else
    cublas=$(find_cublas "$major")
    [[ -z $cublas ]] && cublas=$(find_cublas "")
    say "probe: nvcc $major at $nvcc, GPU arch ${arch:-unknown}, cuBLAS: ${cublas:-none found}"
    if [[ -n $cublas ]]; then
      ls -l "$cublas/lib" | tee -a "$out/logs/probe.log" | grep -i cublas | sed 's/^/    /'
      cuda_env+=("LLAMA_ORCH_CUBLAS_DIR=$cublas")
      # The runtime loader needs the wheel's libraries too (the build links them by soname).
      export LD_LIBRARY_PATH="$cublas/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
  fi
  grep -E 'NVIDIA-SMI|H100|H200|A100|RTX|release' "$out/logs/probe.log" | sed 's/^/    /'
  export LLAMA_ORCH_ADDON=$root/build/cuda/llama_orch.node
  gpu_layers=-1
else
  say "probe: GPU_CHECK_CPU=1: CPU build, CPU benches"
  gpu_layers=0
fi
for assignment in "${cuda_env[@]}"; do export "${assignment?}"; done

# --- build, tests, benchmarks ---------------------------------------------------------------------
tsx="node --import tsx"
# The GPU tests first, the tools and the benches after: when the CUDA compile takes most of the
# budget, what comes back still says whether the engine runs on the GPU.
step build-addon 420 unpack "$tsx scripts/build-addon.ts"
step models 120 unpack "node --import tsx --input-type=module -e \"
  const { ensureModel } = await import('./src/models/ensure-model.ts');
  console.log(await ensureModel('tiny'));
  console.log(await ensureModel('bench', 'q8_0'));\""
step test-gpu 180 build-addon,models \
  "node --import tsx --test --test-concurrency=1 --test-reporter=spec test/gpu/*.test.ts"
tail -n 12 "$out/logs/test-gpu.log" 2>/dev/null | sed 's/^/    | /'
step build-tools 240 build-addon "$tsx scripts/llama-tools.ts llama-batched-bench llama-server"
step bench-engine 150 build-tools,models \
  "$tsx bench/engine/run.ts --quick --threads $threads --gpu-layers=$gpu_layers && cp bench/results/engine-quick.json '$out/'"
step bench-serve 200 build-tools,models \
  "$tsx bench/serve/run.ts --quick --threads $threads --gpu-layers=$gpu_layers && cp bench/results/serve-quick.* '$out/'"

say "done in $(($(date +%s) - started))s; summary in $summary, logs in $out/logs"
column -t -s $'\t' "$summary" 2>/dev/null || cat "$summary"
