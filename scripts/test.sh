#!/usr/bin/env bash
# Sets everything up and runs the whole test suite, against two Kokkos versions:
#  1. Release, every test, against Kokkos 4.6.01 with the Serial and OpenMP backends, built from the release archive
#     in ../shared/vendor beside the clone (scripts/build-kokkos.sh; cached outside the clone, so built once per
#     machine). The runtime tests (Kokkos tests, examples, conformance cases) run with 2 OpenMP threads, then again
#     with 1. Without ../shared this leg builds against Debian's Kokkos 3.4.01 instead, and says so.
#  2. AddressSanitizer + UBSan (-fno-sanitize-recover=all), against Debian's Kokkos 3.4.01 (Serial): the reference,
#     printing and executor tests, the Kokkos tests and the examples again.
# Fails on the first failing test.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh
bash scripts/check-layering.sh

vendored=../shared/vendor/kokkos-4.6.01.tar.xz
release_kokkos=()
if [ -f "$vendored" ]; then
  release_kokkos=(-DKokkos_ROOT="$(bash scripts/build-kokkos.sh "$vendored")"
                  -DLOSSFORGE_TEST_KOKKOS_SOURCE="$(cd "$(dirname "$vendored")" && pwd)/$(basename "$vendored")")
  # The same release with the CUDA backend (for Hopper, sm_90), for a compile-only test of kernels for the GPU.
  if command -v nvcc > /dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="$PATH:/usr/local/cuda/bin"
    release_kokkos+=(-DLOSSFORGE_TEST_KOKKOS_CUDA_ROOT="$(bash scripts/build-kokkos.sh "$vendored" \
      -DKokkos_ENABLE_OPENMP=OFF -DKokkos_ENABLE_CUDA=ON -DKokkos_ARCH_HOPPER90=ON -DCMAKE_CXX_FLAGS=-arch=sm_90)")
  fi
else
  echo "test.sh: $vendored is absent: skipping the Kokkos 4.6 OpenMP leg; the Release build uses Debian's Kokkos 3.4"
fi
# Pinned threads would put both test processes of ctest -j2 on the same cores.
export OMP_PROC_BIND=false OMP_WAIT_POLICY=passive

# The catalogue's device program runs one family on the host (the conformance runner checks every catalogue kernel on
# the host against PyTorch; the other five families cost minutes of compiling); all six compile for CUDA. The
# benchmark is only compiled through the front end (LOSSFORGE_BENCH_SYNTAX_ONLY): CI never runs it.
cmake -G Ninja -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLOSSFORGE_CATALOGUE_HOST_FAMILIES=pointwise \
  -DLOSSFORGE_BENCH_SYNTAX_ONLY=ON "${release_kokkos[@]}"
cmake --build build/release -j"$jobs"
OMP_NUM_THREADS=2 ctest --test-dir build/release --output-on-failure -j"$jobs"
if [ ${#release_kokkos[@]} -gt 0 ]; then
  OMP_NUM_THREADS=1 ctest --test-dir build/release --output-on-failure -j"$jobs" -L 'runtime|conformance' \
    -E 'compiles_without_kokkos'
fi

# The sanitizer build reruns the runtime tests that exercise memory of their own: the reference evaluator and
# printing, the serial executor, the Kokkos tests and the examples. It leaves out the symbolic core's tests and the
# randomized simplifier trees (types, and values the reference evaluator computes: their work is done at compile
# time), the extreme-value tests, the literal-identity and thread-count values and the device check (numbers through
# kernels the other Kokkos tests run), the catalogue's closed forms, the launch and work counts (plans and tensor
# reads counted, no memory of their own), the depth stress (the reference tests run its evaluator), the demo (the
# first example's kernel at scale), SSIM written with windows (passes the windows tests run, at a size whose
# instrumented build takes over twenty CPU-minutes) and the MPI tests and example (the executor paths they add run in
# the Release leg; OpenMPI's own allocations are not lossforge's to check), which keeps CI inside its time budget.
# Line tables only (-g1): sanitizer reports keep their file:line frames, and the build skips the full debug
# information of the expression types, a sixth of its time.
cmake -G Ninja -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DLOSSFORGE_SANITIZE=ON
cmake --build build/sanitize -j"$jobs" --target lossforge_unit_tests lossforge_plan_tests lossforge_kokkos_tests \
  01_combo_and_elastic_net 02_custom_loss 03_fused_cross_entropy 04_eigen_interop 05_gan_step 06_without_kokkos \
  08_kernels_in_a_loss 09_user_primitive
ctest --test-dir build/sanitize --output-on-failure -j"$jobs" -L runtime \
  -E '^(depth_stress|example[.]demo|mpi[.].*|example[.]07_distributed_dice)$'
