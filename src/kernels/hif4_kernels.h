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
#include <string_view>

#include "hifloat/codec.h"

namespace hifloat::kernels {

enum class Hif4Mode : int { kAway, kEven, kStochastic };

struct Hif4Params {
  int m = 3;  // magnitude bits: 1 (hifx2), 2 (hifx3), 3 (hif4), 4 (hifx5)
  Hif4Mode rounding = Hif4Mode::kAway;
  uint64_t seed = 0;
};

// Whether `name` is one of hif4, hifx2, hifx3, hifx5 (aliases are resolved by the parser).
bool is_hif4_family(std::string_view name);
// Parameters of a parsed format string of the family (Error for anything else).
Hif4Params hif4_params(const FormatSpec& spec);

// Bytes of one packed unit: 4 + 8 * (m + 1).
inline size_t hif4_unit_bytes(int m) { return 4 + 8 * static_cast<size_t>(m + 1); }

// `out` / `in` hold exactly the packed bytes of the tensor (lines * ceil(L/64) units).
void hif4_encode(const float* x, const LineGeometry& g, uint8_t* out, const Hif4Params& p, int threads);
void hif4_decode(const uint8_t* in, const LineGeometry& g, float* out, const Hif4Params& p, int threads);
// decode(encode(x)) without materialising the packed bytes.
void hif4_fake_quant(const float* x, const LineGeometry& g, float* out, const Hif4Params& p, int threads);

}  // namespace hifloat::kernels
