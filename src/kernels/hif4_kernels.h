// HiFloat4 family fast paths (hif4, hifx2, hifx3, hifx5; spec/HIF4.md): SIMD
// (Highway, runtime dispatch to the best target this CPU supports) and
// threaded (static partition over units). Each equals the scalar reference
// codec (src/formats/hif4.cc) bit for bit, for every input, rounding mode,
// blocking axis, thread count and SIMD target; tests/test_kernels_hif4.cc
// checks that.
//
// The tensor is seen as (outer, L, inner) with the blocking axis in the middle
// (LineGeometry). inner == 1 (last axis): lines are contiguous, one SIMD lane
// per 4-group of a unit. inner > 1: the lines are strided by `inner`, and one
// SIMD lane is one line (a vector of adjacent columns of the same row).
#pragma once

#include <cstdint>

#include "hifloat/codec.h"

namespace hifloat::kernels {

enum class Hif4Mode : int { kAway, kEven, kStochastic };

// Bytes of one unit: 4 of metadata and 64 codes of m + 1 bits (§7).
constexpr int64_t hif4_unit_bytes(int m) { return 4 + 8 * (m + 1); }

// `m` is the member's magnitude bit count (hifx2 1, hifx3 2, hif4 3, hifx5 4);
// `seed` is used by kStochastic only. x: the tensor (C order); `geometry`
// describes its lines along the blocking axis; `out` / `in` hold
// geometry.lines * ceil(length / 64) units in the order of spec §6.
void hif4_encode(int m, Hif4Mode mode, uint64_t seed, const float* x, const LineGeometry& geometry, uint8_t* out,
                 int threads);
void hif4_decode(int m, const uint8_t* in, const LineGeometry& geometry, float* out, int threads);
// decode(encode(x)) without materialising the packed bytes.
void hif4_fake_quant(int m, Hif4Mode mode, uint64_t seed, const float* x, const LineGeometry& geometry, float* out,
                     int threads);

}  // namespace hifloat::kernels
