#!/usr/bin/env bash
# Builds and installs a Kokkos release from a source archive (default: ../shared/vendor/kokkos-4.6.01.tar.xz beside
# the clone) with the host backends Serial and OpenMP, into a cache folder outside the clone, and prints the install
# prefix (the Kokkos_ROOT to configure lossforge with). A second run with the same archive, options and patches
# reuses the install. The patches scripts/kokkos-<release>-*.patch of that release are applied first.
#   scripts/build-kokkos.sh [archive] [extra Kokkos CMake options...]
#   scripts/build-kokkos.sh archive -DKokkos_ENABLE_CUDA=ON -DKokkos_ARCH_HOPPER90=ON -DCMAKE_CXX_FLAGS=-arch=sm_90
#     (CUDA: compiles with the release's nvcc_wrapper, installed as <prefix>/bin/nvcc_wrapper for lossforge's build)
#   LOSSFORGE_KOKKOS_CACHE  where installs live (default: ${XDG_CACHE_HOME:-$HOME/.cache}/lossforge)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
archive="${1:-$here/../../shared/vendor/kokkos-4.6.01.tar.xz}"
shift || true
[ -f "$archive" ] || { echo "build-kokkos: no Kokkos source archive at $archive" >&2; exit 2; }
archive="$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")"

options=(-DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_OPENMP=ON "$@")
name="$(basename "$archive")"
name="${name%%.tar*}"
patches=()
for p in "$here/$name"-*.patch; do [ -f "$p" ] && patches+=("$p"); done
# The install folder is named by the archive's contents, the options and the patches, so a changed archive, option
# set or patch never reuses a stale build.
key="$( (sha256sum "$archive" ${patches[@]+"${patches[@]}"} | cut -c1-64; printf '%s\n' "${options[@]}") | sha256sum |
  cut -c1-12)"
cache="${LOSSFORGE_KOKKOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lossforge}"
prefix="$cache/$name-$key"
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/lossforge-kokkos.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tar -xf "$archive" -C "$work"
src="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)"
for p in ${patches[@]+"${patches[@]}"}; do patch -s -d "$src" -p1 < "$p"; done
case " ${options[*]} " in
  *" -DKokkos_ENABLE_CUDA=ON "*) options+=(-DCMAKE_CXX_COMPILER="$src/bin/nvcc_wrapper") ;;
esac
{
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=20 \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DKokkos_ENABLE_TESTS=OFF -DKokkos_ENABLE_EXAMPLES=OFF "${options[@]}"
  cmake --build "$work/build" -j"$(nproc)"
  rm -rf "$prefix"
  cmake --install "$work/build"
} >&2
touch "$prefix/.complete"
echo "$prefix"
