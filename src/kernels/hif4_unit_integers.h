// Internal: helpers shared by the HiF4 × HiF4 kernels (matmul_hif4_packed.cc,
// matmul_hif4_packed_vnni.cc).
#pragma once

#include <cstdint>

#include "core/exact_sum.h"
#include "hifloat/matmul.h"
#include "kernels/round_toward_zero.h"

namespace hifloat::kernels {

// The 64 integers w = ±q·2^sh of a HiF4 unit (HIF4.md §3: x̂ = w · S/4);
// |w| ≤ 7·4 = 28, so T may be int8_t or int16_t.
template <typename T>
inline void unit_integers(const uint8_t* unit, T* w) {
  const uint32_t meta = uint32_t{unit[0]} | (uint32_t{unit[1]} << 8) | (uint32_t{unit[2]} << 16) |
                        (uint32_t{unit[3]} << 24);
  for (int i = 0; i < 64; ++i) {
    const int c = (unit[4 + i / 2] >> (4 * (i & 1))) & 15;
    const int sh = static_cast<int>(((meta >> (8 + i / 8)) & 1) + ((meta >> (16 + i / 4)) & 1));
    const int mag = (c & 7) << sh;
    w[i] = static_cast<T>((c & 8) ? -mag : mag);
  }
}

// The scalar accumulators of a kRows × kCols tile in the `exact` and
// `fp32_trunc` modes (docs/matmul.md §2.1, §2.3), fed one unit value U at a
// time in increasing k. (The fp32 mode accumulates in vectors instead.)
template <int kRows, int kCols>
struct UnitSumAccumulators {
  ExactSum exact[kRows][kCols];
  float trunc[kRows][kCols] = {};

  void add(Accumulation mode, int r, int col, float u) {
    if (mode == Accumulation::kExact) {
      exact[r][col].add(u);
    } else {
      trunc[r][col] = add_double_toward_zero(trunc[r][col], u);  // exact: u is an fp32 value
    }
  }
  float result(Accumulation mode, int r, int col) const {
    return mode == Accumulation::kExact ? exact[r][col].round(RoundTo::kNearestEven) : trunc[r][col];
  }
};

}  // namespace hifloat::kernels
