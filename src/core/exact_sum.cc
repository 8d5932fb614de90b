#include "core/exact_sum.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "hifloat/error.h"

namespace hifloat {

__extension__ typedef unsigned __int128 u128;

void ExactSum::clear() { *this = ExactSum(); }

void ExactSum::add_scaled(int64_t m, int e) {
  if (m == 0) return;
  if (e < kLowExp || e + 64 > kLowExp + 32 * (kDigits - 3)) {
    throw Error("ExactSum: exponent " + std::to_string(e) + " outside the accumulator's range");
  }
  if (++adds_since_normalize_ >= (1u << 30)) normalize_carries();
  const int pos = e - kLowExp;
  const int digit = pos / 32;
  const int shift = pos % 32;
  const bool neg = m < 0;
  const u128 mag = static_cast<u128>(neg ? -static_cast<uint64_t>(m) : static_cast<uint64_t>(m))
                                << shift;  // < 2^95
  const int64_t parts[3] = {static_cast<int64_t>(static_cast<uint64_t>(mag) & 0xFFFFFFFFu),
                            static_cast<int64_t>(static_cast<uint64_t>(mag >> 32) & 0xFFFFFFFFu),
                            static_cast<int64_t>(static_cast<uint64_t>(mag >> 64))};
  for (int i = 0; i < 3; ++i) d_[digit + i] += neg ? -parts[i] : parts[i];
}

void ExactSum::add(float v) {
  if (std::isnan(v)) { nan_ = true; return; }
  if (std::isinf(v)) { (v > 0 ? pos_inf_ : neg_inf_) = true; return; }
  // v = m · 2^e with integer m < 2^24.
  const uint32_t u = std::bit_cast<uint32_t>(v);
  const int biased = static_cast<int>((u >> 23) & 0xFF);
  int64_t m = u & 0x7FFFFF;
  int e = -149;
  if (biased != 0) { m |= 0x800000; e = biased - 150; }
  add_scaled((u >> 31) ? -m : m, e);
}

void ExactSum::add_product(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) { nan_ = true; return; }
  if (std::isinf(a) || std::isinf(b)) {
    if (a == 0 || b == 0) { nan_ = true; return; }  // Inf · 0
    (std::signbit(a) != std::signbit(b) ? neg_inf_ : pos_inf_) = true;
    return;
  }
  auto split = [](float v, int64_t& m, int& e) {
    const uint32_t u = std::bit_cast<uint32_t>(v);
    const int biased = static_cast<int>((u >> 23) & 0xFF);
    m = u & 0x7FFFFF;
    e = -149;
    if (biased != 0) { m |= 0x800000; e = biased - 150; }
    if (u >> 31) m = -m;
  };
  int64_t ma = 0, mb = 0;
  int ea = 0, eb = 0;
  split(a, ma, ea);
  split(b, mb, eb);
  add_scaled(ma * mb, ea + eb);  // |ma·mb| < 2^48: exact
}

void ExactSum::normalize_carries() {
  // Bring every digit but the top one into [0, 2^32); the top one keeps the sign.
  for (int i = 0; i + 1 < kDigits; ++i) {
    const int64_t carry = d_[i] >> 32;  // floor division (arithmetic shift)
    d_[i] -= carry * (int64_t{1} << 32);
    d_[i + 1] += carry;
  }
  adds_since_normalize_ = 0;
}

float ExactSum::round(RoundTo mode) const {
  if (nan_ || (pos_inf_ && neg_inf_)) return std::numeric_limits<float>::quiet_NaN();
  if (pos_inf_) return std::numeric_limits<float>::infinity();
  if (neg_inf_) return -std::numeric_limits<float>::infinity();

  ExactSum t = *this;
  t.normalize_carries();
  const bool negative = t.d_[kDigits - 1] < 0;
  if (negative) {
    for (int64_t& x : t.d_) x = -x;
    t.normalize_carries();
  }
  // Now every digit is in [0, 2^32): the magnitude as a plain binary number.
  int top_digit = kDigits - 1;
  while (top_digit >= 0 && t.d_[top_digit] == 0) --top_digit;
  if (top_digit < 0) return 0.0f;  // an exact zero sum is +0
  const int h = top_digit * 32 + (31 - std::countl_zero(static_cast<uint32_t>(t.d_[top_digit])));
  auto bit = [&](int pos) -> uint32_t {
    return pos < 0 ? 0u : static_cast<uint32_t>((t.d_[pos / 32] >> (pos % 32)) & 1);
  };
  auto any_below = [&](int pos) -> bool {  // any set bit at positions < pos
    if (pos <= 0) return false;
    const int full = pos / 32;
    for (int i = 0; i < full; ++i)
      if (t.d_[i] != 0) return true;
    const int rem = pos % 32;
    return rem != 0 && (t.d_[full] & ((int64_t{1} << rem) - 1)) != 0;
  };

  const int top_exp = h + kLowExp;  // the value lies in [2^top_exp, 2^(top_exp+1))
  const float sign = negative ? -1.0f : 1.0f;
  if (top_exp >= 128) {
    return mode == RoundTo::kNearestEven ? sign * std::numeric_limits<float>::infinity()
                                         : sign * std::numeric_limits<float>::max();
  }
  // Weight of the last kept bit: 24 significant bits, but never below the subnormal step 2^-149.
  const int lsb_exp = std::max(top_exp - 23, -149);
  const int lsb = lsb_exp - kLowExp;
  uint32_t mant = 0;
  for (int pos = h; pos >= lsb; --pos) mant = (mant << 1) | bit(pos);
  if (mode == RoundTo::kNearestEven) {
    const uint32_t guard = bit(lsb - 1);
    const bool sticky = any_below(lsb - 1);
    if (guard && (sticky || (mant & 1))) ++mant;  // may reach 2^24: still exact in fp32
  }
  // mant · 2^lsb_exp: ldexp is exact here, and gives +-Inf when RNE carried past FLT_MAX.
  return sign * std::ldexp(static_cast<float>(mant), lsb_exp);
}

}  // namespace hifloat
