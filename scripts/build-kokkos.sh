#!/usr/bin/env bash
# Builds and installs a Kokkos release from a source archive (default: ../shared/vendor/kokkos-4.6.01.tar.xz beside
# the clone) with the host backends Serial and OpenMP, into a cache folder outside the clone, and prints the install
# prefix (the Kokkos_ROOT to configure lossforge with). A second run with the same archive and backends reuses the
# install. Usage: scripts/build-kokkos.sh [archive] [extra Kokkos CMake options...]
#   LOSSFORGE_KOKKOS_CACHE  where installs live (default: ${XDG_CACHE_HOME:-$HOME/.cache}/lossforge)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
archive="${1:-$here/../../shared/vendor/kokkos-4.6.01.tar.xz}"
shift || true
[ -f "$archive" ] || { echo "build-kokkos: no Kokkos source archive at $archive" >&2; exit 2; }
archive="$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")"

options=(-DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_OPENMP=ON "$@")
# The install folder is named by the archive's contents and the options, so a changed archive or option set never
# reuses a stale build.
key="$( (sha256sum "$archive" | cut -c1-64; printf '%s\n' "${options[@]}") | sha256sum | cut -c1-12)"
name="$(basename "$archive")"
name="${name%%.tar*}"
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
{
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=20 \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DKokkos_ENABLE_TESTS=OFF -DKokkos_ENABLE_EXAMPLES=OFF "${options[@]}"
  cmake --build "$work/build" -j"$(nproc)"
  rm -rf "$prefix"
  cmake --install "$work/build"
} >&2
touch "$prefix/.complete"
echo "$prefix"
