#!/usr/bin/env bash
# The benchmark, one command: builds lossforge_bench in Release, times PyTorch eager on the same losses and sizes
# (Debian's python3-torch, one thread like the Serial Kokkos build here), runs lossforge_bench with those times beside
# its own, and plots the result with gnuplot. Writes lossforge_bench.csv, pytorch_bench.csv and lossforge_bench.png
# in the current directory. Arguments go to both programs: --quick (under a minute), --repetitions R.
# LOSSFORGE_NATIVE=ON in the environment builds for this machine's CPU (-march=native) in build/bench-native.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
missing=()
command -v gnuplot > /dev/null || missing+=(gnuplot-nox)
/usr/bin/python3 -c 'import torch' 2> /dev/null || missing+=(python3-torch)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
native=${LOSSFORGE_NATIVE:-OFF}
build="$root/build/bench$([ "$native" = ON ] && echo -native || true)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOSSFORGE_NATIVE="$native" -DLOSSFORGE_ENABLE_TESTS=OFF \
  -DLOSSFORGE_ENABLE_EXAMPLES=OFF
start=$(date +%s)
cmake --build "$build" -j"$(nproc)" --target lossforge_bench
echo "benchmark translation unit: built in $(( $(date +%s) - start )) s"
/usr/bin/python3 "$root/scripts/bench_pytorch.py" --csv pytorch_bench.csv "$@"
"$build/bench/lossforge_bench" --csv lossforge_bench.csv --pytorch pytorch_bench.csv "$@"
gnuplot -e "data='lossforge_bench.csv'; out='lossforge_bench.png'" "$root/scripts/plot_bench.gp"
echo "plot: lossforge_bench.png"
