// HiFloat4 family fast paths (spec/HIF4.md): SIMD (Highway, runtime dispatch)
// and threaded quantise / dequantise / fake-quant over tensors blocked along
// any axis. Each equals the scalar reference codec (src/formats/hif4.cc) bit
// for bit; tests/test_kernels_hif4.cc checks that on every compiled target.
//
// `m` is the member's magnitude bit count (hifx2 1, hifx3 2, hif4 3, hifx5 4).
// Stochastic rounding has no fast path (fast_paths.cc falls back to the codec).
#pragma once

#include <cstdint>

#include "hifloat/codec.h"

namespace hifloat::kernels {

enum class Hif4Mode { kAway, kEven };

// x: the tensor (C order); `geometry` describes its lines along the blocking
// axis; `out` receives geometry.lines * ceil(length / 64) units in the order
// of spec §6.
void hif4_encode(int m, Hif4Mode mode, const float* x, const LineGeometry& geometry, uint8_t* out, int threads);
void hif4_decode(int m, const uint8_t* in, const LineGeometry& geometry, float* out, int threads);
void hif4_fake_quant(int m, Hif4Mode mode, const float* x, const LineGeometry& geometry, float* out, int threads);

// Bytes of one unit: 4 of metadata and 64 codes of m + 1 bits (§7).
constexpr int64_t hif4_unit_bytes(int m) { return 4 + 8 * (m + 1); }

}  // namespace hifloat::kernels
