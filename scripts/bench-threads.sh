#!/usr/bin/env bash
# Thread scaling: lossforge_bench built against a Kokkos with the OpenMP backend, run at 1 and 2 threads, beside
# PyTorch eager at the same thread counts. Prints, per loss and size, each one's time at 1 and 2 threads and its
# speedup, and PyTorch / lossforge at each thread count. The hand-written loops the benchmark also times are
# single-threaded: compare them at 1 thread only.
#   scripts/bench-threads.sh [lossforge_bench and bench_pytorch.py options; default --quick --sizes 20,24]
#   KOKKOS_ROOT   a Kokkos install with OpenMP (default: scripts/build-kokkos.sh builds the vendored release once)
# Writes lossforge_bench_{1,2}t.csv and pytorch_bench_{1,2}t.csv in the current directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
/usr/bin/python3 -c 'import torch' 2> /dev/null || {
  sudo=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $sudo apt-get install -y --no-install-recommends python3-torch
}
kokkos_root=${KOKKOS_ROOT:-$(bash "$root/scripts/build-kokkos.sh")}
build="$root/build/bench-openmp"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKokkos_ROOT="$kokkos_root" -DLOSSFORGE_ENABLE_TESTS=OFF \
  -DLOSSFORGE_ENABLE_EXAMPLES=OFF > /dev/null
cmake --build "$build" -j"$(nproc)" --target lossforge_bench
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--quick --sizes 20,24)
export OMP_PROC_BIND=spread OMP_PLACES=threads
for threads in 1 2; do
  /usr/bin/python3 "$root/scripts/bench_pytorch.py" --threads "$threads" --csv "pytorch_bench_${threads}t.csv" \
    "${args[@]}"
  OMP_NUM_THREADS=$threads "$build/bench/lossforge_bench" --csv "lossforge_bench_${threads}t.csv" \
    --pytorch "pytorch_bench_${threads}t.csv" "${args[@]}"
done
/usr/bin/python3 - lossforge_bench_1t.csv lossforge_bench_2t.csv << 'EOF'
import csv, sys
one, two = ({(r["loss"], r["precision"], r["elements"]): r for r in csv.DictReader(open(f))} for f in sys.argv[1:])
print(f"\n{'loss':20} {'type':6} {'n':>9} {'lf 1t ms':>9} {'lf 2t ms':>9} {'lf x':>5} {'pt 1t ms':>9} {'pt 2t ms':>9}"
      f" {'pt x':>5} {'pt/lf 1t':>8} {'pt/lf 2t':>8}")
for key, a in one.items():
    b = two[key]
    f1, f2, t1, t2 = (float(v) for v in (a["fused_s"], b["fused_s"], a["pytorch_s"], b["pytorch_s"]))
    print(f"{key[0]:20} {key[1]:6} {int(key[2]):9d} {f1 * 1e3:9.3f} {f2 * 1e3:9.3f} {f1 / f2:5.2f} {t1 * 1e3:9.3f}"
          f" {t2 * 1e3:9.3f} {t1 / t2:5.2f} {t1 / f1:8.2f} {t2 / f2:8.2f}")
EOF
