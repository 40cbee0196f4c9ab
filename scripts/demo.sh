#!/usr/bin/env bash
# Sets everything up and runs the main demo: Combo = Dice + 0.5 BCE on 2^24 generated elements, with its derivative,
# the plan, a finite-difference check and the fused kernels timed against an unfused evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$(nproc)" --target lossforge_demo
./build/release/examples/lossforge_demo "$@"
