// Internal: the lane layout shared by the dense matmul kernels.
//
// docs/matmul.md §2.2 gives lane j (0..15) the values k ≡ j (mod 16). The
// kernels keep every 16-value chunk of A and of the decoded weights in the
// order "even j, then odd j" (position sigma(j)), which is how a HiF4 chunk
// unpacks: 8 payload bytes give the 8 even elements in their low nibbles and
// the 8 odd ones in their high nibbles. Any fixed lane renaming leaves each
// lane's FMA chain unchanged; the final tree undoes it.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace hifloat::kernels {

constexpr int sigma(int j) { return (j & 1) ? 8 + (j >> 1) : (j >> 1); }

// Halving tree of docs/matmul.md §2.2 over 16 lane sums, lane j stored at
// position SlotOf(j) (each kernel keeps its lanes in its own order).
template <int (*SlotOf)(int)>
inline float lane_tree_of(const float* stored) {
  float s[16];
  for (int j = 0; j < 16; ++j) s[j] = stored[SlotOf(j)];
  for (int width = 8; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) s[j] = s[j] + s[j + width];
  return s[0];
}
// Lane j stored at position j (the other formats' panels, matmul_dense.cc).
constexpr int natural_slot(int j) { return j; }
// The same over lane sums stored in sigma order.
inline float lane_tree(const float* s_sigma) { return lane_tree_of<sigma>(s_sigma); }

// 2^(b8 + b4) for the 16 elements of HiF4 chunk t in sigma order, indexed by
// the chunk's four b4 flags (bits 0..3) and two b8 flags (bits 4..5).
struct ShiftPatterns {
  alignas(64) float v[64][16];
};
inline const ShiftPatterns& hif4_shift_patterns() {
  static const ShiftPatterns p = [] {
    ShiftPatterns r{};
    for (int idx = 0; idx < 64; ++idx)
      for (int j = 0; j < 16; ++j) {
        const int sh = ((idx >> (j >> 2)) & 1) + ((idx >> (4 + (j >> 3))) & 1);
        r.v[idx][sigma(j)] = static_cast<float>(1 << sh);
      }
    return r;
  }();
  return p;
}

// ±q for each E1M2 element code (HIF4.md §3): codes 8..15 are negative, 8 is −0.
alignas(64) inline constexpr float kHif4SignedQ[16] = {0, 1, 2, 3, 4, 5, 6, 7, -0.0f, -1, -2, -3, -4, -5, -6, -7};

// S/4 for every E6M2 scale code (HIF4.md §3.1); NaN for the NaN unit 0xFF.
inline const std::array<float, 256>& hif4_quarter_scales() {
  static const std::array<float, 256> t = [] {
    std::array<float, 256> r{};
    for (int c = 0; c < 255; ++c) r[c] = std::ldexp(1.0f + static_cast<float>(c & 3) / 4.0f, (c >> 2) - 48 - 2);
    r[255] = std::numeric_limits<float>::quiet_NaN();
    return r;
  }();
  return t;
}

}  // namespace hifloat::kernels
