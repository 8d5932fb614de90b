#!/usr/bin/env bash
# The main job on built-in data (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target hifloat_cli
build/release/hifloat table hif8
build/release/hifloat demo
