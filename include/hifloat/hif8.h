// HiFloat8 (HiF8): the tapered 8-bit float of "Ascend HiFloat8 Format for Deep
// Learning" (Luo et al., 2024), as specified in spec/HIF8.md.
//
// Header-only and dependency-free (it needs only ieee16.h and philox.h from this
// directory) so it can be dropped into any project. Everything is constexpr.
//
// Layout: S | dot prefix (2-4 bits) | sign-magnitude exponent (D bits, implicit
// top magnitude bit) | mantissa. 0x00 is the only zero, 0x80 the only NaN,
// 0x6F/0xEF are +-Inf, the largest finite value is 32768 (0x6E).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#include "hifloat/float8_common.h"
#include "hifloat/ieee16.h"
#include "hifloat/philox.h"

namespace hifloat {

// Rounding of a real value onto a target grid. Not every format offers every mode.
enum class Rounding : uint8_t {
  kAway,        // nearest, ties away from zero
  kEven,        // nearest, ties to the code with least-significant bit 0
  kZero,        // toward zero (truncate the magnitude)
  kStochastic,  // up with probability equal to the discarded fraction
};

// What happens to magnitudes beyond the largest finite value (and to +-Inf).
enum class Overflow : uint8_t {
  kInf,       // become +-Inf
  kSaturate,  // become +-max
};

struct Hif8Options {
  Rounding rounding = Rounding::kAway;
  Overflow overflow = Overflow::kInf;
  uint64_t seed = 0;  // only for Rounding::kStochastic
};

namespace hif8_detail {

inline constexpr uint8_t kNaN = 0x80;
inline constexpr uint8_t kInf = 0x6F;
inline constexpr uint8_t kMax = 0x6E;

constexpr int abs_int(int v) { return v < 0 ? -v : v; }

// Exponent-field width D of a normal binade 2^E (0 for E == 0).
constexpr int dot_width(int E) {
  const int a = abs_int(E);
  return a == 0 ? 0 : a == 1 ? 1 : a <= 3 ? 2 : a <= 7 ? 3 : 4;
}

// Mantissa bits kept in binade 2^E, E in [-22, 15] (0 for the denormal powers).
constexpr int mantissa_bits(int E) {
  if (E <= -16) return 0;
  const int a = abs_int(E);
  return a <= 3 ? 3 : a <= 7 ? 2 : 1;
}

// Code of the positive value 2^E * (1 + m / 2^mantissa_bits(E)), E in [-22, 15].
// (E, m) = (15, 1) yields the Inf pattern 0x6F, which callers treat as overflow.
constexpr uint8_t code_of(int E, uint32_t m) {
  if (E <= -16) return static_cast<uint8_t>(E + 23);  // DML: 2^(k-23)
  if (E == 0) return static_cast<uint8_t>(0x08u | m);
  const int D = dot_width(E);
  const int mb = mantissa_bits(E);
  const uint32_t T = static_cast<uint32_t>(abs_int(E) - (1 << (D - 1)));
  const uint32_t exp_field = (static_cast<uint32_t>(E < 0) << (D - 1)) | T;
  // Dot prefixes: D1 = 001 (3 bits), D2 = 01, D3 = 10, D4 = 11 (2 bits).
  const uint32_t prefix = D == 1 ? 0x10u : D == 2 ? 0x20u : D == 3 ? 0x40u : 0x60u;
  return static_cast<uint8_t>(prefix | (exp_field << mb) | m);
}

// Decode per spec §2.1 to float32 bits.
constexpr uint32_t decode_bits(uint8_t c) {
  const uint32_t s = static_cast<uint32_t>(c & 0x80u) << 24;
  const uint32_t r = c & 0x7Fu;
  if (c == kNaN) return 0x7FC00000u;
  if (r == kInf) return s | 0x7F800000u;
  if (r == 0) return 0;
  int E = 0, mb = 0;
  uint32_t m = 0;
  if ((r & 0x78u) == 0x00u) {  // DML: 2^(k-23)
    E = static_cast<int>(r) - 23;
  } else if ((r & 0x78u) == 0x08u) {  // D0
    mb = 3;
    m = r & 7u;
  } else {
    int D = 0;
    if ((r & 0x60u) == 0x60u) D = 4;
    else if ((r & 0x60u) == 0x40u) D = 3;
    else if ((r & 0x60u) == 0x20u) D = 2;
    else D = 1;  // (r & 0x70) == 0x10
    mb = D == 4 ? 1 : D == 3 ? 2 : 3;
    const uint32_t exp_field = (r >> mb) & ((1u << D) - 1u);
    const bool neg = (exp_field >> (D - 1)) & 1u;
    const int mag = (1 << (D - 1)) + static_cast<int>(exp_field & ((1u << (D - 1)) - 1u));
    E = neg ? -mag : mag;
    m = r & ((1u << mb) - 1u);
  }
  return s | (static_cast<uint32_t>(E + 127) << 23) | (m << (23 - mb));
}

constexpr std::array<uint32_t, 256> make_decode_table() {
  std::array<uint32_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = decode_bits(static_cast<uint8_t>(c));
  return t;
}

inline constexpr std::array<uint32_t, 256> kDecodeTable = make_decode_table();

}  // namespace hif8_detail

// Encodes a double (which holds every float32, float16 and bfloat16 value
// exactly) into a HiF8 code. `draw24` is the caller's random draw k in
// [0, 2^24) for Rounding::kStochastic (u = k / 2^24, round up iff frac + u >= 1);
// other modes ignore it.
constexpr uint8_t hif8_encode(double x, Rounding rounding = Rounding::kAway,
                              Overflow overflow = Overflow::kInf, uint32_t draw24 = 0) {
  using namespace hif8_detail;
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const uint8_t sign = static_cast<uint8_t>((bits >> 56) & 0x80u);
  const uint64_t abs_bits = bits & 0x7FFFFFFFFFFFFFFFull;
  const uint8_t overflowed = static_cast<uint8_t>(sign | (overflow == Overflow::kInf ? kInf : kMax));
  if (abs_bits > 0x7FF0000000000000ull) return kNaN;
  if (abs_bits == 0x7FF0000000000000ull) return overflowed;
  if (abs_bits == 0) return 0;

  const int E = static_cast<int>(abs_bits >> 52) - 1023;  // double subnormals give E = -1023
  if (E >= 16 || abs_bits >= 0x40E8000000000000ull) {     // |x| >= 49152, the Inf pattern's value
    return rounding == Rounding::kZero ? static_cast<uint8_t>(sign | kMax) : overflowed;
  }
  if (rounding == Rounding::kStochastic && abs_bits > 0x40E0000000000000ull) {  // |x| > 32768
    return overflowed;
  }

  if (E < -22) {  // between 0 and the smallest denormal 2^-22 (code 0x01)
    const double a = std::bit_cast<double>(abs_bits);
    bool up = false;
    switch (rounding) {
      case Rounding::kAway: up = a >= 0x1p-23; break;
      case Rounding::kEven: up = a > 0x1p-23; break;  // the tie goes to code 0x00
      case Rounding::kZero: up = false; break;
      case Rounding::kStochastic: up = a * 0x1p46 >= static_cast<double>((1u << 24) - draw24); break;
    }
    return up ? static_cast<uint8_t>(sign | 0x01u) : 0;
  }

  const int mb = mantissa_bits(E);
  const int shift = 52 - mb;
  const uint64_t frac = abs_bits & 0xFFFFFFFFFFFFFull;
  const uint32_t m = static_cast<uint32_t>(frac >> shift);
  const uint64_t rem = frac & ((1ull << shift) - 1u);
  const uint64_t half = 1ull << (shift - 1);
  const uint8_t lo = code_of(E, m);
  bool up = false;
  switch (rounding) {
    case Rounding::kAway: up = rem >= half; break;
    case Rounding::kEven: up = rem > half || (rem == half && (lo & 1u)); break;
    case Rounding::kZero: up = false; break;
    case Rounding::kStochastic:
      up = rem >= (static_cast<uint64_t>((1u << 24) - draw24) << (shift - 24));
      break;
  }
  if (!up) return static_cast<uint8_t>(sign | lo);
  const uint8_t hi = (m + 1u == (1u << mb)) ? code_of(E + 1, 0) : code_of(E, m + 1u);
  if (hi == kInf) return overflowed;
  return static_cast<uint8_t>(sign | hi);
}

constexpr float hif8_decode(uint8_t code) {
  return std::bit_cast<float>(hif8_detail::kDecodeTable[code]);
}

// Encodes element `flat_index` of a tensor under `opt`, drawing its stochastic
// rounding bits from Philox keyed by opt.seed (HIF8.md normative decisions).
constexpr uint8_t hif8_encode(double x, const Hif8Options& opt, uint64_t flat_index) {
  const uint32_t draw = opt.rounding == Rounding::kStochastic ? stochastic_draw24(opt.seed, flat_index) : 0u;
  return hif8_encode(x, opt.rounding, opt.overflow, draw);
}

// One-byte HiF8 value type. Conversions in are explicit (they round, default
// ties away with overflow to Inf); conversions out are exact.
class hif8 : public float8_detail::DecodedComparisons<hif8> {
 public:
  constexpr hif8() = default;
  static constexpr hif8 from_bits(uint8_t b) {
    hif8 h;
    h.bits_ = b;
    return h;
  }
  constexpr explicit hif8(float f) : bits_(hif8_encode(static_cast<double>(f))) {}
  constexpr explicit hif8(double d) : bits_(hif8_encode(d)) {}
  constexpr explicit hif8(float16 h) : bits_(hif8_encode(static_cast<double>(static_cast<float>(h)))) {}
  constexpr explicit hif8(bfloat16 b) : bits_(hif8_encode(static_cast<double>(static_cast<float>(b)))) {}

  constexpr uint8_t bits() const { return bits_; }
  constexpr explicit operator float() const { return hif8_decode(bits_); }
  constexpr explicit operator double() const { return static_cast<double>(hif8_decode(bits_)); }
  // Exact: every HiF8 value is representable in binary16 and bfloat16.
  constexpr explicit operator float16() const { return float16(hif8_decode(bits_)); }
  constexpr explicit operator bfloat16() const { return bfloat16(hif8_decode(bits_)); }

  // The only zero and the only NaN have no negative counterpart.
  constexpr hif8 operator-() const {
    return (bits_ & 0x7Fu) == 0 ? *this : from_bits(static_cast<uint8_t>(bits_ ^ 0x80u));
  }
  constexpr hif8 operator+() const { return *this; }

  constexpr bool isnan() const { return bits_ == hif8_detail::kNaN; }
  constexpr bool isinf() const { return (bits_ & 0x7Fu) == hif8_detail::kInf; }
  constexpr bool isfinite() const { return !isnan() && !isinf(); }

 private:
  uint8_t bits_ = 0;
};

static_assert(sizeof(hif8) == 1);

}  // namespace hifloat

template <>
class std::numeric_limits<hifloat::hif8> : public hifloat::float8_detail::LimitsBase {
  using T = hifloat::hif8;

 public:
  static constexpr bool has_infinity = true;
  static constexpr int digits = 4;  // 3 mantissa bits + implicit 1 (near 1.0)
  static constexpr int max_digits10 = 3;
  static constexpr int min_exponent = -14;  // min normal = 2^(min_exponent - 1) = 2^-15
  static constexpr int min_exponent10 = -4;
  static constexpr int max_exponent = 16;  // max = 2^15
  static constexpr int max_exponent10 = 4;

  static constexpr T min() noexcept { return T::from_bits(0x7E); }          // 2^-15
  static constexpr T max() noexcept { return T::from_bits(0x6E); }          // 32768
  static constexpr T lowest() noexcept { return T::from_bits(0xEE); }       // -32768
  static constexpr T epsilon() noexcept { return T::from_bits(0x38); }      // 0.125
  static constexpr T round_error() noexcept { return T::from_bits(0x18); }  // 0.5
  static constexpr T infinity() noexcept { return T::from_bits(0x6F); }
  static constexpr T quiet_NaN() noexcept { return T::from_bits(0x80); }
  static constexpr T signaling_NaN() noexcept { return T::from_bits(0x80); }
  static constexpr T denorm_min() noexcept { return T::from_bits(0x01); }  // 2^-22
};
