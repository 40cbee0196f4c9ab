#!/usr/bin/env bash
# Installs lossforge's build and test dependencies from Debian's archive. Idempotent: a second run
# only re-checks. Runs as root or through sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(cmake g++ make ninja-build patch xz-utils libtrilinos-kokkos-dev libeigen3-dev libboost1.81-dev
          libbenchmark-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin)

# Catch2 v3 is only in bookworm-backports; enable it once.
backports=/etc/apt/sources.list.d/lossforge-backports.list
if ! apt-cache policy 2>/dev/null | grep -q bookworm-backports; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee "$backports" >/dev/null
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
catch2_ok=0
if dpkg-query -W -f='${Version}' catch2 2>/dev/null | grep -q '^3'; then catch2_ok=1; fi

if [ ${#missing[@]} -gt 0 ] || [ $catch2_ok -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ $catch2_ok -eq 0 ]; then
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports catch2
  fi
fi
echo "lossforge: dependencies present"
