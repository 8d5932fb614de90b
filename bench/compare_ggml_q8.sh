#!/usr/bin/env bash
# hifloat's HiF4 × int8-activation GEMV (docs/matmul.md §7) against llama.cpp/ggml's MXFP4 × Q8_0
# vec_dot on the same shapes, in one process (bench/ggml/compare_q8.cc prints the ratio).
#
# ggml's source comes from PyPI: the llama-cpp-python sdist vendors llama.cpp (only PyPI and
# Debian are reachable from our machines). It is downloaded once into build/ggml, built static
# with -march=native (GGML_NATIVE, as llama.cpp builds by default), and the driver is linked
# against it and build/release/libhifloat.a (built here if missing).
#   bench/compare_ggml_q8.sh            # LLAMA_CPP_PYTHON_VERSION=0.3.36 by default
set -euo pipefail
cd "$(dirname "$0")/.."
VER=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
JOBS=${JOBS:-$(nproc)}
B=build/ggml
SRC="$B/llama_cpp_python-$VER/vendor/llama.cpp/ggml"

if [ ! -d "$SRC" ]; then
  mkdir -p "$B"
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$B" \
    "llama-cpp-python==$VER"
  tar xzf "$B/llama_cpp_python-$VER.tar.gz" -C "$B"
  touch "$SRC/ggml.pc.in"  # left out of the sdist; ggml's CMakeLists configures it
fi
cmake -S "$SRC" -B "$B/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
  -DGGML_OPENMP=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$B/build" -j "$JOBS" --target ggml-cpu ggml-base >/dev/null

if [ ! -f build/release/libhifloat.a ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/release -j "$JOBS" --target hifloat >/dev/null

CPU_LIB=$(find "$B/build" -name 'libggml-cpu.a' | head -n 1)
BASE_LIB=$(find "$B/build" -name 'libggml-base.a' | head -n 1)
g++ -O2 -std=c++20 -march=native -o "$B/compare_q8" bench/ggml/compare_q8.cc -Iinclude -I"$SRC/include" \
  build/release/libhifloat.a "$CPU_LIB" "$BASE_LIB" -lhwy -lpthread -lm
"$B/compare_q8"
