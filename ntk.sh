#!/usr/bin/env bash
# ntklab set-up and entry points. Each command installs what is missing (Debian 12, as root),
# configures and builds incrementally into build/, then runs.
#
#   ./ntk.sh demo    the main job: scripts/demo.lua, writes results/demo.jsonl
#   ./ntk.sh test    the whole test suite (ctest)
#   ./ntk.sh build   only install + build
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config liblua5.4-dev libarmadillo-dev libopenblas-dev
          liblapack-dev libboost-dev libboost-filesystem-dev catch2 zlib1g-dev libsvm-dev
          gnuplot-nox dataset-fashion-mnist nlohmann-json3-dev libcli11-dev
          openmpi-bin libopenmpi-dev libscalapack-openmpi-dev)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "ntk.sh: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

build() {
  install_missing
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  [ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j "$jobs"
}

# OpenBLAS picks its kernels when it loads. On AVX-512 CPUs the SkylakeX kernels are ~1.6x faster
# on GEMM than the Haswell ones (docs/benchmarks.md); some environments preset
# OPENBLAS_CORETYPE=Haswell, so choose SkylakeX here unless NTKLAB_KEEP_CORETYPE=1.
if [ "${NTKLAB_KEEP_CORETYPE:-0}" != 1 ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=SkylakeX
fi

case "${1:-}" in
  demo)
    build
    build/bin/ntklab run scripts/demo.lua "${@:2}"
    ;;
  test)
    build
    ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "${@:2}"
    ;;
  build)
    build
    ;;
  *)
    echo "usage: ./ntk.sh demo|test|build" >&2
    exit 2
    ;;
esac
