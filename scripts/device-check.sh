#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and nvcc: builds the Kokkos release with its CUDA backend for the GPU present
# (scripts/build-kokkos.sh, cached), builds lossforge's device checks (tests/device/) for it, runs them with CUDA as
# the default execution space, and writes a short report: every kind of plan's loss and gradient, and every catalogue
# loss and the examples' losses in float and double, against the host's reference evaluator, and the bandwidth of
# MSE, Dice and cross entropy against a device copy measured in the same run, with PyTorch's CUDA cross entropy beside
# it where python3 has torch with CUDA. The units compile in parallel; the slowest (a catalogue family) took about
# 4 minutes and 8 GB on this project's 2-core build machine, so on 16 cores the build takes about 5 minutes (an
# estimate) with Kokkos cached.
#   scripts/device-check.sh [--archive kokkos-4.6.01.tar.xz] [--eigen /usr/include/eigen3] [--out folder]
# Defaults: ../shared/vendor/kokkos-4.6.01.tar.xz beside the clone, /usr/include/eigen3, bench/results. Exits non-zero
# when a check fails.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
archive="$here/../shared/vendor/kokkos-4.6.01.tar.xz"
eigen=/usr/include/eigen3
out="$here/bench/results"
# Paths are taken relative to where the script is called from.
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "device-check: $1 needs a value" >&2; exit 2; }
  case "$1" in
    --archive) archive="$(realpath -m "$2")" ;;
    --eigen) eigen="$(realpath -m "$2")" ;;
    --out) out="$(realpath -m "$2")" ;;
    *) echo "device-check: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
cd "$here"
export PATH="$PATH:/usr/local/cuda/bin"
command -v nvcc > /dev/null || { echo "device-check: nvcc is not on the PATH" >&2; exit 2; }
command -v nvidia-smi > /dev/null || { echo "device-check: no nvidia-smi: is there an NVIDIA GPU?" >&2; exit 2; }
[ -f "$eigen/Eigen/Core" ] || { echo "device-check: no Eigen at $eigen (pass --eigen)" >&2; exit 2; }

# The GPU's compute capability names Kokkos' architecture option and nvcc's -arch.
capability="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n1 | tr -d ' .')"
case "$capability" in
  70) kokkos_arch=VOLTA70 ;;
  75) kokkos_arch=TURING75 ;;
  80) kokkos_arch=AMPERE80 ;;
  86) kokkos_arch=AMPERE86 ;;
  89) kokkos_arch=ADA89 ;;
  90) kokkos_arch=HOPPER90 ;;
  *) echo "device-check: compute capability $capability has no Kokkos 4.6 architecture option here" >&2; exit 2 ;;
esac
arch="-arch=sm_$capability"
start=$SECONDS
kokkos="$(bash scripts/build-kokkos.sh "$archive" -DKokkos_ENABLE_OPENMP=OFF -DKokkos_ENABLE_CUDA=ON \
  -DKokkos_ARCH_${kokkos_arch}=ON -DCMAKE_CXX_FLAGS="$arch")"
kokkos_seconds=$((SECONDS - start))

build="$(mktemp -d "${TMPDIR:-/tmp}/lossforge-device.XXXXXX")"
trap 'rm -rf "$build"' EXIT
flags=(-std=c++20 -O2 -DLOSSFORGE_WITH_KOKKOS -I. -Iinclude -Idsl -Ibackends -isystem "$eigen"
       -isystem "$kokkos/include")
# Every unit in parallel; the reference evaluator's are host code, compiled the same way so that every unit sees the
# same definitions. A catalogue family's file is compiled twice: its device role, and its reference role.
families=(pointwise classes preference embeddings global_sums per_class)
units=(kokkos_device kokkos_device_bandwidth device_reference catalogue_device)
objects=("${units[@]}")
for family in "${families[@]}"; do
  units+=("catalogue_device_$family" "catalogue_device_$family")
  objects+=("catalogue_device_$family" "catalogue_reference_$family")
done
pids=()
for k in "${!units[@]}"; do
  role=()
  [[ "${objects[$k]}" == catalogue_reference_* ]] && role=(-DLOSSFORGE_CATALOGUE_REFERENCE)
  "$kokkos/bin/nvcc_wrapper" "$arch" --expt-extended-lambda --expt-relaxed-constexpr "${flags[@]}" "${role[@]}" \
    -c "tests/device/${units[$k]}.cpp" -o "$build/${objects[$k]}.o" > "$build/${objects[$k]}.log" 2>&1 &
  pids+=($!)
done
for k in "${!units[@]}"; do
  if ! wait "${pids[$k]}"; then
    kill "${pids[@]}" 2> /dev/null || true
    wait || true
    cat "$build/${objects[$k]}.log" >&2
    echo "device-check: compiling tests/device/${units[$k]}.cpp (${objects[$k]}) failed" >&2
    exit 1
  fi
done
libdir="$(find "$kokkos" -maxdepth 1 -name 'lib*' -type d | head -n1)"
link=(-L"$libdir" -lkokkoscontainers -lkokkoscore -lcuda -ldl)
"$kokkos/bin/nvcc_wrapper" -DKOKKOS_DEPENDENCE "$arch" "$build"/kokkos_device*.o "$build/device_reference.o" \
  "${link[@]}" -o "$build/lossforge-device-check"
"$kokkos/bin/nvcc_wrapper" -DKOKKOS_DEPENDENCE "$arch" "$build"/catalogue_*.o "${link[@]}" \
  -o "$build/lossforge-catalogue-device"
build_seconds=$((SECONDS - start - kokkos_seconds))

mkdir -p "$out"
report="$out/device_check.txt"
{
  commit="$(git describe --always --dirty 2> /dev/null || echo unknown)"
  echo "lossforge device check, $(date -u +%Y-%m-%d), commit $commit"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  nvcc --version | tail -n1
  echo "Kokkos built in ${kokkos_seconds} s, the check in ${build_seconds} s ($(nproc) cores)"
  echo
} > "$report"
status=0
"$build/lossforge-device-check" 1037 19 $((1 << 26)) | tee -a "$report" || status=$?
echo | tee -a "$report"
"$build/lossforge-catalogue-device" | tee -a "$report" || status=$?
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2> /dev/null; then
  python3 - 32768 $((1 << 26)) << 'EOF' 2>&1 | tee -a "$report" || echo "PyTorch's comparison failed" | tee -a "$report"
# PyTorch's CUDA cross entropy, forward and backward, float, on the shape the check measured.
import sys, torch
classes, elements = int(sys.argv[1]), int(sys.argv[2])
rows = max(1, elements // classes)
x = (torch.arange(rows * classes, device="cuda", dtype=torch.float32).reshape(rows, classes) % 997) / 997
x.requires_grad_(True)
t = torch.randint(0, classes, (rows,), device="cuda")
def step():
    x.grad = None
    torch.nn.functional.cross_entropy(x, t).backward()
step(); torch.cuda.synchronize()
times = []
for _ in range(15):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record(); step(); end.record(); torch.cuda.synchronize()
    times.append(start.elapsed_time(end))
print(f"PyTorch {torch.__version__} cross_entropy [{rows}, {classes}] forward + backward: "
      f"{sorted(times)[7]:.3f} ms (median of 15)")
EOF
else
  echo "python3 has no torch with CUDA: no PyTorch comparison" | tee -a "$report"
fi
echo "report: $report"
exit "$status"
