#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: a Release build with every test, then an AddressSanitizer +
# UBSan build (-fno-sanitize-recover=all) running the unit tests again. Fails on the first failing test.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh
bash scripts/check-layering.sh

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$jobs"
ctest --test-dir build/release --output-on-failure -j"$jobs"

# The sanitizer build reruns every runtime test except the randomized simplifier trees, whose work is done at
# compile time (they would double the build time and exercise no runtime code the other tests miss), the
# extreme-value sweep, the literal-identity and extreme cross-entropy values (numbers through kernels the other Kokkos
# tests run), the catalogue's closed forms and the work counts (tensor reads counted, no memory of their own), which
# keep CI inside its time budget.
# Line tables only (-g1): sanitizer reports keep their file:line frames, and the build skips the full debug
# information of the expression types, a sixth of its time.
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DLOSSFORGE_SANITIZE=ON
cmake --build build/sanitize -j"$jobs" --target lossforge_unit_tests lossforge_plan_tests lossforge_kokkos_tests lossforge_depth_stress \
  01_combo_and_elastic_net 02_custom_loss 03_fused_cross_entropy 04_eigen_interop 05_gan_step 06_without_kokkos \
  lossforge_demo
ctest --test-dir build/sanitize --output-on-failure -j"$jobs" -L runtime
