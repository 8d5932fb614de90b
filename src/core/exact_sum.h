// Exact (Kulisch-style) accumulation of products of binary32 values, rounded
// once to binary32 at the end. This is the "exact" accumulation of
// docs/matmul.md and the building block of its per-block rules.
//
// The value is held as a signed fixed-point number with 2^-320 as its lowest
// bit, in radix-2^32 digits kept in int64 so that additions never propagate
// carries (each addition touches three digits; carries are resolved when the
// value is read). Any product of two fp32 values (lowest bit >= 2^-298, below
// 2^256) and any fp32 value fits, with 190 bits of headroom for carries.
#pragma once

#include <cstdint>

namespace hifloat {

enum class RoundTo : uint8_t {
  kNearestEven,  // IEEE roundTiesToEven; overflow gives +-Inf
  kTowardZero,   // IEEE roundTowardZero (truncation); overflow gives +-FLT_MAX
};

class ExactSum {
 public:
  // Adds a·b, the exact product (IEEE rules for NaN and Inf: NaN·x = NaN, Inf·0 = NaN).
  void add_product(float a, float b);
  // Adds one fp32 value (NaN/Inf tracked as in add_product).
  void add(float v);
  // Adds m · 2^e exactly; |m| < 2^63, e >= -320, e + 64 <= 448.
  void add_scaled(int64_t m, int e);

  // The exact sum rounded once to fp32. NaN if a NaN was added or +Inf and
  // -Inf both were; +-Inf if an infinity was added; otherwise the rounded
  // finite sum (an exact zero sum gives +0).
  float round(RoundTo mode) const;

  void clear();

 private:
  static constexpr int kLowExp = -320;  // weight of bit 0
  static constexpr int kDigits = 24;    // 768 bits: up to 2^448
  void normalize_carries();

  int64_t d_[kDigits] = {};
  uint32_t adds_since_normalize_ = 0;
  bool nan_ = false, pos_inf_ = false, neg_inf_ = false;
};

}  // namespace hifloat
