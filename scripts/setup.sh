#!/usr/bin/env bash
# Sets up cfinit on a fresh Debian/Ubuntu machine: libtorch (and an optimised BLAS for it), then
# npm ci, which builds the native addon. Options:
#   --with-peer   also install Debian's python3-torch, the PyTorch peer the benchmarks compare against
#   --with-browser also install Chromium (figures / report page tests)
set -euo pipefail
cd "$(dirname "$0")/.."

with_peer=0
with_browser=0
for arg in "$@"; do
  case "$arg" in
    --with-peer) with_peer=1 ;;
    --with-browser) with_browser=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

packages=()
if [ -z "${LIBTORCH:-}" ] && ! node scripts/libtorch.cjs check >/dev/null 2>&1; then
  packages+=(libtorch-dev)
fi
# libtorch-dev alone brings the reference BLAS (~4 GFLOP/s here); OpenBLAS is ~50x faster.
if ! ls /usr/lib/*/openblas*/libblas.so.3 >/dev/null 2>&1; then
  packages+=(libopenblas0-pthread)
fi
if [ "$with_peer" = 1 ] && ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  packages+=(python3-torch)
fi
if [ "$with_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  packages+=(chromium)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: need ${packages[*]} but this is not a Debian/Ubuntu system." >&2
    echo "  Install libtorch yourself and set LIBTORCH=/path/to/libtorch, then run npm ci." >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup.sh: installing ${packages[*]} needs root or sudo" >&2; exit 1
    fi
  fi
  echo "setup.sh: installing ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

npm ci --no-fund --no-audit
npm run build --silent
