#!/usr/bin/env bash
# Sets everything up and runs the main demo: composing Combo and ElasticNet, printing their derivatives, and
# checking them against finite differences with the reference evaluator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$(nproc)" --target 01_combo_and_elastic_net
./build/release/examples/01_combo_and_elastic_net
