#!/usr/bin/env bash
# Fuzzes the safetensors reader and the packed-tensor decoders (fuzz/fuzz_packed.cc)
# with libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer, for
# FUZZ_SECONDS seconds (default 60), starting from seed files that
# fuzz/make_seeds.cc writes from valid tensors of every implemented format.
# Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev; scripts/install-deps.sh).
# The kernels are compiled for the baseline SIMD target only (HIFLOAT_DISPATCH=OFF), which
# keeps this third build short; the ASan/UBSan unit tests run every target.
# New corpus entries accumulate in build/fuzz/corpus; crashes go to build/fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-$(nproc)}
B=build/fuzz

echo "== fuzz build (clang, libFuzzer, ASan + UBSan)"
cmake -S . -B "$B" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DHIFLOAT_BUILD_FUZZ=ON -DHIFLOAT_DISPATCH=OFF -DHIFLOAT_BUILD_TESTS=OFF -DHIFLOAT_BUILD_BENCH=OFF -DHIFLOAT_BUILD_CLI=OFF >/dev/null
cmake --build "$B" -j "$JOBS" --target fuzz_packed fuzz_make_seeds

rm -rf "$B/seeds"
mkdir -p "$B/seeds" "$B/corpus" "$B/crashes"
"$B/fuzz/fuzz_make_seeds" "$B/seeds"

echo "== fuzzing for ${FUZZ_SECONDS} s"
rc=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$B/fuzz/fuzz_packed" -max_total_time="$FUZZ_SECONDS" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/safetensors.dict -artifact_prefix="$B/crashes/" -print_final_stats=1 \
  "$B/corpus" "$B/seeds" >"$B/fuzz.log" 2>&1 || rc=$?
grep -E '^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)|^INFO: seed corpus' "$B/fuzz.log" || true
if [ "$rc" != 0 ]; then
  tail -n 80 "$B/fuzz.log" >&2
  echo "fuzz_packed failed (exit $rc); reproducer in $B/crashes/, full log in $B/fuzz.log" >&2
  exit 1
fi
