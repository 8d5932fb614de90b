// An independent HiFloat4-family quantiser for the tests, written from
// spec/HIF4.md in a different but equivalent formulation from
// src/formats/hif4.cc, sharing no code with it:
//   - the unit maximum is taken directly over the 64 magnitudes;
//   - fp32 products are evaluated exactly in binary64 and rounded once to fp32;
//   - bf16 rounding is done on values (binade and ulp in binary64), not bits;
//   - the E6M2 step uses the bit recipe of §9;
//   - the reciprocal comes from the table r[f] * 2^-E of §5 step 6;
//   - the flags and elements use the "equivalent forms" of §5 steps 8 and 9;
//   - rounding=away uses the exact floor(t + 0.5) with the one 0x3EFFFFFF
//     special case the spec states (§5 step 9);
//   - packing goes through an explicit list of stream bits (§7).
// Only the Philox draw (include/hifloat/philox.h, checked against the spec's
// known answers in test_hif4.cc) is shared.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hifloat/philox.h"

namespace hifloat::testing {

enum class RefRounding { kAway, kEven, kStochastic };

struct RefUnit {
  uint8_t scale_code = 0;
  uint8_t b8 = 0;                  // bit k = b8[k]
  uint16_t b4 = 0;                 // bit j = b4[j]
  std::array<uint32_t, 64> code{};  // s << m | q
  std::array<double, 64> t{};      // 2^(m-1) * y (before rounding), for the stochastic checks
};

// RN32 of a binary64 value that is the exact result of the operation.
inline float rn32(double exact) { return static_cast<float>(exact); }

// Nearest bf16 value of a non-negative fp32 value, ties to even, as a value
// (§1 RNbf16). bf16 has 8 significant bits and fp32's exponent range.
inline float ref_rnbf16(float v) {
  if (v == 0.0f || std::isinf(v)) return v;
  int e = 0;
  std::frexp(static_cast<double>(v), &e);  // v in [2^(e-1), 2^e)
  const int lsb_exp = std::max(e - 8, -133);  // bf16 subnormals have ulp 2^-133
  const double units = std::ldexp(static_cast<double>(v), -lsb_exp);  // exact
  double n = std::floor(units);
  const double rest = units - n;
  if (rest > 0.5 || (rest == 0.5 && std::fmod(n, 2.0) == 1.0)) n += 1.0;
  const double r = std::ldexp(n, lsb_exp);
  if (r >= 0x1p128) return INFINITY;  // beyond the largest bf16 (and fp32) binade
  return static_cast<float>(r);
}

inline RefUnit ref_quantize_unit(const float* x, int m, RefRounding rounding, uint64_t seed,
                                 const std::array<uint64_t, 64>& flat, int valid = 64) {
  RefUnit u;
  for (int i = 0; i < 64; ++i) {
    if (std::isnan(x[i])) {
      u.scale_code = 0xFF;
      return u;
    }
  }
  double M = 0;
  for (int i = 0; i < 64; ++i) M = std::max(M, std::fabs(static_cast<double>(x[i])));

  // §5 steps 3-4: RN32(M * 73/512) (exact in binary64), RNbf16, clamp.
  const float t0 = rn32(M * 73.0 / 512.0);
  const float t = std::min(std::max(ref_rnbf16(t0), 0x1p-48f), 49152.0f);

  // §9 E6M2 recipe.
  uint32_t b = std::bit_cast<uint32_t>(t);
  b = (b + 0x000FFFFFu + ((b >> 21) & 1u)) & 0xFFE00000u;
  const int E = static_cast<int>(b >> 23) - 127;
  const int f = static_cast<int>((b >> 21) & 3u);
  u.scale_code = static_cast<uint8_t>(((E + 48) << 2) | f);

  // §5 step 6 table.
  static constexpr double kR[4] = {1.0, 0.80078125, 0.66796875, 0.5703125};
  const double R = std::ldexp(kR[f], -E);

  // §5 step 7, and step 8 in its equivalent form.
  for (int k = 0; k < 8; ++k) {
    double m8 = 0;
    for (int i = 8 * k; i < 8 * k + 8; ++i) m8 = std::max(m8, std::fabs(static_cast<double>(x[i])));
    if (rn32(m8 * R) >= 4.0f) u.b8 = static_cast<uint8_t>(u.b8 | (1u << k));
  }
  for (int j = 0; j < 16; ++j) {
    double m4 = 0;
    for (int i = 4 * j; i < 4 * j + 4; ++i) m4 = std::max(m4, std::fabs(static_cast<double>(x[i])));
    const int b8 = (u.b8 >> (j / 2)) & 1;
    if (rn32(m4 * R) >= std::ldexp(1.0, 1 + b8)) u.b4 = static_cast<uint16_t>(u.b4 | (1u << j));
  }

  // §5 step 9, equivalent form y = RN32(a * R) / 2^sh, and §5.1.
  const double qmax = std::ldexp(1.0, m) - 1.0;
  for (int i = 0; i < 64; ++i) {
    const int sh = ((u.b8 >> (i / 8)) & 1) + ((u.b4 >> (i / 4)) & 1);
    const double a = std::fabs(static_cast<double>(x[i]));
    const float y = static_cast<float>(static_cast<double>(rn32(a * R)) / std::ldexp(1.0, sh));
    const double tt = std::ldexp(static_cast<double>(y), m - 1);
    u.t[i] = tt;
    double q = 0;
    if (i < valid) {
      switch (rounding) {
        case RefRounding::kAway:
          q = std::bit_cast<uint32_t>(static_cast<float>(tt)) == 0x3EFFFFFFu ? 1.0 : std::floor(tt + 0.5);
          break;
        case RefRounding::kEven: {
          const double lo = std::floor(tt), hi = lo + 1.0;
          const double dlo = tt - lo, dhi = hi - tt;
          q = dlo < dhi ? lo : dhi < dlo ? hi : (std::fmod(lo, 2.0) == 0.0 ? lo : hi);
          break;
        }
        case RefRounding::kStochastic:
          q = std::floor(tt + stochastic_draw24(seed, flat[i]) / 16777216.0);
          break;
      }
    }
    if (!(q <= qmax)) q = qmax;  // saturation, +Inf included
    const uint32_t s = std::signbit(x[i]) ? 1u : 0u;
    u.code[i] = (s << m) | static_cast<uint32_t>(q);
  }
  return u;
}

// §7: metadata bytes, then the element codes as a little-endian bit stream.
inline std::vector<uint8_t> ref_pack(const RefUnit& u, int m) {
  std::vector<uint8_t> out = {u.scale_code, u.b8, static_cast<uint8_t>(u.b4 & 0xFF),
                              static_cast<uint8_t>(u.b4 >> 8)};
  if (u.scale_code == 0xFF) {  // NaN unit: zero flags (already) and zero payload
    out[1] = out[2] = out[3] = 0;
  }
  std::vector<int> bits;
  for (int i = 0; i < 64; ++i) {
    for (int k = 0; k <= m; ++k) bits.push_back(u.scale_code == 0xFF ? 0 : static_cast<int>((u.code[i] >> k) & 1u));
  }
  for (size_t byte = 0; byte < bits.size() / 8; ++byte) {
    int v = 0;
    for (int k = 7; k >= 0; --k) v = 2 * v + bits[8 * byte + k];
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

// §3 decoded value of element i, in binary64 (exact), then to fp32.
inline float ref_value(const RefUnit& u, int m, int i) {
  if (u.scale_code == 0xFF) return NAN;
  const int E = (u.scale_code >> 2) - 48, f = u.scale_code & 3;
  const double S = (1.0 + f / 4.0) * std::pow(2.0, E);
  const int sh = ((u.b8 >> (i / 8)) & 1) + ((u.b4 >> (i / 4)) & 1);
  const uint32_t q = u.code[i] & ((1u << m) - 1u);
  const double v = q / std::pow(2.0, m - 1) * std::pow(2.0, sh) * S;
  return static_cast<float>((u.code[i] >> m) & 1u ? -v : v);
}

}  // namespace hifloat::testing
