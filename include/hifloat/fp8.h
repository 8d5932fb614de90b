// OCP 8-bit floating point (OFP8) element formats, as specified in
// spec/BASELINES.md §1, §5 and §6:
//   E4M3 ("E4M3FN"): bias 7, max 448 (0x7E), NaN = S.1111.111, no Inf;
//   E5M2:            bias 15, max 57344 (0x7B), Inf = S.11111.00, NaN = S.11111.xx (xx != 00).
// Rounding is RNE of |x| onto the grid; the sign bit of x is always kept
// (so -0 and negative underflows give the negative zero code 0x80, §0).
//
// Header-only and dependency-free (only ieee16.h from this directory) so SIMD
// kernels and tests can use it. Encoding is constexpr from double, which holds
// every float32, float16 and bfloat16 value exactly; decoding is a lookup in a
// constexpr 256-entry table of float32 bit patterns.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#include "hifloat/float8_common.h"
#include "hifloat/ieee16.h"

namespace hifloat {

// `overflow=` of fp8_e4m3 (§5): magnitudes beyond 448 (after rounding) and +-Inf.
enum class E4M3Overflow : uint8_t {
  kSaturate,  // become +-448 (the default)
  kNaN,       // become NaN with the input's sign
};

// `overflow=` of fp8_e5m2 (§6): magnitudes that round beyond 57344, and +-Inf.
enum class E5M2Overflow : uint8_t {
  kInf,       // become +-Inf (the default); +-Inf stays +-Inf
  kSaturate,  // become +-57344
};

namespace fp8_detail {

// What distinguishes the two OFP8 encodings. Codes are sign | exponent field |
// mantissa field, so for non-negative values the 7-bit magnitude code is
// monotonic in the value and a rounding carry out of the mantissa lands in the
// next binade by plain integer increment.
struct Layout {
  int mbits;           // mantissa field width
  int bias;            // exponent bias; the smallest normal exponent is 1 - bias
  uint8_t max_code;    // magnitude code of the largest finite value
  uint8_t nan_code;    // magnitude code written for a NaN input
  uint8_t inf_code;    // magnitude code of Inf, 0 if the format has none
};

inline constexpr Layout kE4M3{3, 7, 0x7E, 0x7F, 0x00};
inline constexpr Layout kE5M2{2, 15, 0x7B, 0x7E, 0x7C};

// RNE of a finite, non-zero magnitude (float64 bit pattern, sign cleared) onto
// the grid of `L` extended upward without bound: returns the magnitude code,
// which exceeds L.max_code exactly when the rounded value is above the largest
// finite value (the caller then applies the overflow option). The largest
// possible result is 0x80 (a carry out of the top binade).
constexpr uint32_t round_magnitude(uint64_t abs_bits, const Layout& L) {
  const int emin = 1 - L.bias;                  // smallest normal exponent
  const int etop = (0x7F >> L.mbits) - L.bias;  // exponent of the top field (the NaN/Inf binade)
  const int field = static_cast<int>(abs_bits >> 52);
  // The magnitude is exactly sig * 2^(e - 52); float64 subnormals have no implicit bit.
  const int e = (field == 0 ? 1 : field) - 1023;
  const uint64_t sig = (abs_bits & 0xFFFFFFFFFFFFFull) | (field == 0 ? 0 : 1ull << 52);
  if (e > etop) return 0x80;  // above every code: overflow
  // The quantum of the target binade is 2^(max(e, emin) - mbits).
  const int eb = e < emin ? emin : e;
  const int shift = 52 - L.mbits + (eb - e);  // bits of sig below the quantum
  if (shift >= 64) return 0;                  // far below half the smallest subnormal
  uint64_t n = sig >> shift;                  // units of the quantum, truncated
  const uint64_t rem = sig & ((1ull << shift) - 1u);
  const uint64_t half = 1ull << (shift - 1);
  if (rem > half || (rem == half && (n & 1u))) ++n;  // ties to the even code
  // For normals n = 2^mbits + mantissa; the code is (field << mbits) + mantissa
  // = n + (eb - emin) << mbits. For subnormals eb = emin and n is the code itself.
  return static_cast<uint32_t>(n + (static_cast<uint64_t>(eb - emin) << L.mbits));
}

// Encodes per §5/§6 given the code to use on overflow (already chosen from the option).
constexpr uint8_t encode(double x, const Layout& L, uint8_t overflow_code) {
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const uint8_t sign = static_cast<uint8_t>((bits >> 56) & 0x80u);
  const uint64_t abs_bits = bits & 0x7FFFFFFFFFFFFFFFull;
  if (abs_bits > 0x7FF0000000000000ull) return static_cast<uint8_t>(sign | L.nan_code);
  if (abs_bits == 0x7FF0000000000000ull) return static_cast<uint8_t>(sign | overflow_code);
  if (abs_bits == 0) return sign;
  const uint32_t m = round_magnitude(abs_bits, L);
  return static_cast<uint8_t>(sign | (m > L.max_code ? overflow_code : m));
}

// Decodes per §1 to float32 bits: subnormal m * 2^(1 - bias - mbits), normal
// (1 + m / 2^mbits) * 2^(field - bias). NaN codes give a quiet NaN with the code's sign.
constexpr uint32_t decode_bits(uint8_t c, const Layout& L) {
  const uint32_t s = static_cast<uint32_t>(c & 0x80u) << 24;
  const uint32_t r = c & 0x7Fu;
  if (L.inf_code != 0 && r == L.inf_code) return s | 0x7F800000u;
  if (r > L.max_code) return s | 0x7FC00000u;
  const uint32_t field = r >> L.mbits;
  const uint32_t m = r & ((1u << L.mbits) - 1u);
  if (field != 0) return s | ((field - static_cast<uint32_t>(L.bias) + 127u) << 23) | (m << (23 - L.mbits));
  if (m == 0) return s;
  // Subnormal: m * 2^(1 - bias - mbits) is a float32 normal; normalise m.
  const int top = 31 - std::countl_zero(m);  // m in [2^top, 2^(top+1))
  const uint32_t exp = static_cast<uint32_t>(1 - L.bias - L.mbits + top + 127);
  return s | (exp << 23) | (((m << (23 - top)) & 0x7FFFFFu));
}

constexpr std::array<uint32_t, 256> make_decode_table(const Layout& L) {
  std::array<uint32_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = decode_bits(static_cast<uint8_t>(c), L);
  return t;
}

inline constexpr std::array<uint32_t, 256> kE4M3Table = make_decode_table(kE4M3);
inline constexpr std::array<uint32_t, 256> kE5M2Table = make_decode_table(kE5M2);

}  // namespace fp8_detail

// fp8_e4m3 (§5). overflow=saturate: finite |x| > 448 and +-Inf give +-448;
// overflow=nan: |x| > 464 and +-Inf give NaN with the input's sign (464 ties to 448).
// A NaN input gives 0x7F/0xFF with its sign.
constexpr uint8_t fp8_e4m3_encode(double x, E4M3Overflow overflow = E4M3Overflow::kSaturate) {
  using namespace fp8_detail;
  return encode(x, kE4M3, overflow == E4M3Overflow::kSaturate ? kE4M3.max_code : kE4M3.nan_code);
}

// fp8_e5m2 (§6). overflow=inf: |x| >= 61440 gives +-Inf (61440 ties to the even
// Inf code); overflow=saturate: finite |x| > 57344 and +-Inf give +-57344.
// A NaN input gives 0x7E/0xFE with its sign.
constexpr uint8_t fp8_e5m2_encode(double x, E5M2Overflow overflow = E5M2Overflow::kInf) {
  using namespace fp8_detail;
  return encode(x, kE5M2, overflow == E5M2Overflow::kInf ? kE5M2.inf_code : kE5M2.max_code);
}

constexpr float fp8_e4m3_decode(uint8_t code) { return std::bit_cast<float>(fp8_detail::kE4M3Table[code]); }
constexpr float fp8_e5m2_decode(uint8_t code) { return std::bit_cast<float>(fp8_detail::kE5M2Table[code]); }

namespace fp8_detail {

struct E4M3Ops {
  static constexpr uint8_t encode(double d) { return fp8_e4m3_encode(d); }
  static constexpr float decode(uint8_t c) { return fp8_e4m3_decode(c); }
  static constexpr bool isnan(uint8_t c) { return (c & 0x7Fu) == 0x7Fu; }
  static constexpr bool isinf(uint8_t) { return false; }
};

struct E5M2Ops {
  static constexpr uint8_t encode(double d) { return fp8_e5m2_encode(d); }
  static constexpr float decode(uint8_t c) { return fp8_e5m2_decode(c); }
  static constexpr bool isnan(uint8_t c) { return (c & 0x7Fu) > 0x7Cu; }
  static constexpr bool isinf(uint8_t c) { return (c & 0x7Fu) == 0x7Cu; }
};

}  // namespace fp8_detail

// One-byte OFP8 value type. Conversions in are explicit and round with the
// format's default overflow option (use fp8_*_encode + from_bits for the
// other); conversions out are exact (every OFP8 value is exact in float32,
// float16 and bfloat16).
template <typename Ops>
class basic_fp8 : public float8_detail::DecodedComparisons<basic_fp8<Ops>> {
 public:
  constexpr basic_fp8() = default;
  static constexpr basic_fp8 from_bits(uint8_t b) {
    basic_fp8 v;
    v.bits_ = b;
    return v;
  }
  constexpr explicit basic_fp8(double d) : bits_(Ops::encode(d)) {}
  constexpr explicit basic_fp8(float f) : bits_(Ops::encode(static_cast<double>(f))) {}
  constexpr explicit basic_fp8(float16 h) : bits_(Ops::encode(static_cast<double>(static_cast<float>(h)))) {}
  constexpr explicit basic_fp8(bfloat16 b) : bits_(Ops::encode(static_cast<double>(static_cast<float>(b)))) {}

  constexpr uint8_t bits() const { return bits_; }
  constexpr explicit operator float() const { return Ops::decode(bits_); }
  constexpr explicit operator double() const { return static_cast<double>(Ops::decode(bits_)); }
  constexpr explicit operator float16() const { return float16(Ops::decode(bits_)); }
  constexpr explicit operator bfloat16() const { return bfloat16(Ops::decode(bits_)); }

  // Sign-magnitude: negation flips the sign bit of every code, zero and NaN included.
  constexpr basic_fp8 operator-() const { return from_bits(static_cast<uint8_t>(bits_ ^ 0x80u)); }
  constexpr basic_fp8 operator+() const { return *this; }

  constexpr bool isnan() const { return Ops::isnan(bits_); }
  constexpr bool isinf() const { return Ops::isinf(bits_); }
  constexpr bool isfinite() const { return !isnan() && !isinf(); }

 private:
  uint8_t bits_ = 0;
};

using fp8_e4m3 = basic_fp8<fp8_detail::E4M3Ops>;
using fp8_e5m2 = basic_fp8<fp8_detail::E5M2Ops>;
static_assert(sizeof(fp8_e4m3) == 1 && sizeof(fp8_e5m2) == 1);

}  // namespace hifloat

template <>
class std::numeric_limits<hifloat::fp8_e4m3> : public hifloat::float8_detail::LimitsBase {
  using T = hifloat::fp8_e4m3;

 public:
  static constexpr bool has_infinity = false;
  static constexpr int digits = 4;
  static constexpr int max_digits10 = 3;
  static constexpr int min_exponent = -5;  // min normal 2^-6 = 2^(min_exponent - 1)
  static constexpr int min_exponent10 = -1;
  static constexpr int max_exponent = 9;  // max 448 = 1.75 * 2^8
  static constexpr int max_exponent10 = 2;

  static constexpr T min() noexcept { return T::from_bits(0x08); }          // 2^-6
  static constexpr T max() noexcept { return T::from_bits(0x7E); }          // 448
  static constexpr T lowest() noexcept { return T::from_bits(0xFE); }       // -448
  static constexpr T epsilon() noexcept { return T::from_bits(0x20); }      // 0.125
  static constexpr T round_error() noexcept { return T::from_bits(0x30); }  // 0.5
  static constexpr T infinity() noexcept { return T::from_bits(0x00); }     // none: like std for has_infinity=false
  static constexpr T quiet_NaN() noexcept { return T::from_bits(0x7F); }
  static constexpr T signaling_NaN() noexcept { return T::from_bits(0x7F); }
  static constexpr T denorm_min() noexcept { return T::from_bits(0x01); }  // 2^-9
};

template <>
class std::numeric_limits<hifloat::fp8_e5m2> : public hifloat::float8_detail::LimitsBase {
  using T = hifloat::fp8_e5m2;

 public:
  static constexpr bool has_infinity = true;
  static constexpr int digits = 3;
  static constexpr int max_digits10 = 2;
  static constexpr int min_exponent = -13;  // min normal 2^-14
  static constexpr int min_exponent10 = -4;
  static constexpr int max_exponent = 16;  // max 57344 = 1.75 * 2^15
  static constexpr int max_exponent10 = 4;

  static constexpr T min() noexcept { return T::from_bits(0x04); }          // 2^-14
  static constexpr T max() noexcept { return T::from_bits(0x7B); }          // 57344
  static constexpr T lowest() noexcept { return T::from_bits(0xFB); }       // -57344
  static constexpr T epsilon() noexcept { return T::from_bits(0x34); }      // 0.25
  static constexpr T round_error() noexcept { return T::from_bits(0x38); }  // 0.5
  static constexpr T infinity() noexcept { return T::from_bits(0x7C); }
  static constexpr T quiet_NaN() noexcept { return T::from_bits(0x7E); }
  static constexpr T signaling_NaN() noexcept { return T::from_bits(0x7D); }
  static constexpr T denorm_min() noexcept { return T::from_bits(0x01); }  // 2^-16
};
