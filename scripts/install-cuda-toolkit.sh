#!/usr/bin/env bash
# Installs Debian bookworm's CUDA 11.8 toolkit (nvcc, cudart, cuBLAS 11) and the host compiler it accepts.
# Idempotent; run as root. Used for the CUDA build on a machine without a GPU (the GPU check uses its own nvcc).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-cuda-toolkit: run as root (apt-get needs it)" >&2
  exit 1
fi

# contrib/non-free in a file of our own: debian.sources stays as the image shipped it.
list=/etc/apt/sources.list.d/llama-orch-cuda.sources
if [[ ! -f $list ]]; then
  cat >"$list" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi

if [[ -x /usr/bin/nvcc ]] && dpkg -s nvidia-cuda-toolkit-gcc >/dev/null 2>&1; then
  echo "install-cuda-toolkit: already installed: $(/usr/bin/nvcc --version | tail -n 2 | head -n 1)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# nvidia-cuda-toolkit-gcc is Debian's documented answer to "nvcc refuses this gcc": it installs the
# newest gcc/g++ the toolkit supports (g++-11 for 11.8) and the cuda-gcc / cuda-g++ wrappers.
apt-get install -y --no-install-recommends nvidia-cuda-toolkit nvidia-cuda-toolkit-gcc
/usr/bin/nvcc --version | tail -n 2
