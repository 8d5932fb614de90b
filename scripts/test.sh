#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs dependencies, builds with
# warnings as errors, runs unit, golden and exhaustive tests, builds and tests
# the Python package (pip install . + pytest; HIFLOAT_SKIP_TORCH=1 skips
# installing PyTorch, whose tests then skip with that reason), rebuilds under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the unit tests again,
# then fuzzes the safetensors reader and packed decoders briefly (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

scripts/install-deps.sh

echo "== release build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHIFLOAT_WERROR=ON >/dev/null
cmake --build build/release -j "$JOBS"
echo "== unit and golden tests"
ctest --test-dir build/release -L unit --output-on-failure -j "$JOBS"
echo "== checkpoint tool (pytest: tests/checkpoint)"
HIFLOAT_CLI=build/release/hifloat python3 -m pytest tests/checkpoint -q -rs
echo "== exhaustive tests"
# Each sweep is single-threaded and streams 2^24-element chunks, so two run side by side.
ctest --test-dir build/release -L exhaustive --output-on-failure -j "$JOBS"

echo "== Python package (pip install ., then pytest)"
PY=${PYTHON:-python3}
# Build dependencies (scikit-build-core, nanobind, numpy) come from
# python/requirements-dev.txt via install-deps.sh; building without isolation
# compiles against the numpy that the tests then use. The build reuses the
# release tree above (same compiler and flags; the options keep its test, bench
# and CLI targets), so only the bindings are compiled here, not the library again.
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation . -Cbuild-dir=build/release \
  -Ccmake.define.HIFLOAT_BUILD_TESTS=ON -Ccmake.define.HIFLOAT_BUILD_BENCH=ON -Ccmake.define.HIFLOAT_BUILD_CLI=ON
if [ "${HIFLOAT_SKIP_TORCH:-0}" != 1 ]; then
  "$PY" -m pip install -q --disable-pip-version-check -r python/requirements-torch.txt
fi
"$PY" -m pytest python/tests -q -rs

echo "== ASan + UBSan build"
# -O1 -g1 (line tables for the reports) keeps this second build short; warnings
# are enforced by the release build above (gcc's -Wmaybe-uninitialized differs by -O level).
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DHIFLOAT_SANITIZE=ON -DHIFLOAT_BUILD_BENCH=OFF >/dev/null
# Only what runs under the sanitizers (the exhaustive sweeps are release-only).
cmake --build build/asan -j "$JOBS" --target hifloat_tests hifloat_cli
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan -L unit --output-on-failure -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  HIFLOAT_CLI=build/asan/hifloat python3 -m pytest tests/checkpoint -q -rs

echo "== fuzzing"
FUZZ_SECONDS=${FUZZ_SECONDS:-60} scripts/fuzz.sh
