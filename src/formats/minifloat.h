// Small IEEE-style binary float grids (spec/BASELINES.md §1): E2M1, E2M3,
// E3M2, E4M3 ("E4M3FN") and E5M2. Header-only, scalar, exact: values are
// handled as doubles, which hold every member of these grids and every fp32
// value exactly.
//
// A code is `sign | exponent field | mantissa field`. Exponent field 0 is
// subnormal (`m · 2^(1 − bias − mbits)`), otherwise the value is
// `(1 + m/2^mbits) · 2^(field − bias)`.
//
// What this provides (for the block formats and, later, the elementwise fp8 codecs):
// - `minifloat_round_even(a, f)`: RNE of a magnitude onto the finite grid,
//   saturating at the largest finite value; returns the magnitude code.
// - `minifloat_magnitude(code, f)`: the value of a finite magnitude code.
// - `minifloat_decode(code, f)`: the value of a full signed code, including
//   the format's NaN and Inf codes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace hifloat {

// How the all-ones exponent field is used.
enum class MinifloatSpecials {
  kNone,      // every code is finite (E2M1, E2M3, E3M2)
  kFnNan,     // only S.1111.111 is NaN, no Inf (E4M3FN)
  kIeeeLike,  // exponent all ones: mantissa 0 = Inf, otherwise NaN (E5M2)
};

struct Minifloat {
  int ebits;
  int mbits;
  int bias;
  MinifloatSpecials specials;

  constexpr int code_bits() const { return 1 + ebits + mbits; }
  constexpr uint8_t sign_bit() const { return static_cast<uint8_t>(1u << (ebits + mbits)); }
  // Exponent of the smallest normal binade (also the subnormals' exponent).
  constexpr int emin() const { return 1 - bias; }
  // Largest finite magnitude code.
  constexpr uint8_t max_code() const {
    const int all = (1 << (ebits + mbits)) - 1;
    switch (specials) {
      case MinifloatSpecials::kNone: return static_cast<uint8_t>(all);
      case MinifloatSpecials::kFnNan: return static_cast<uint8_t>(all - 1);
      case MinifloatSpecials::kIeeeLike: return static_cast<uint8_t>(all - (1 << mbits));
    }
    return 0;
  }
};

inline constexpr Minifloat kE2M1{2, 1, 1, MinifloatSpecials::kNone};
inline constexpr Minifloat kE2M3{2, 3, 1, MinifloatSpecials::kNone};
inline constexpr Minifloat kE3M2{3, 2, 3, MinifloatSpecials::kNone};
inline constexpr Minifloat kE4M3{4, 3, 7, MinifloatSpecials::kFnNan};
inline constexpr Minifloat kE5M2{5, 2, 15, MinifloatSpecials::kIeeeLike};

// Value of a finite magnitude code (0 <= code <= f.max_code()).
inline double minifloat_magnitude(uint8_t code, const Minifloat& f) {
  const int field = code >> f.mbits;
  const int m = code & ((1 << f.mbits) - 1);
  if (field == 0) return std::ldexp(static_cast<double>(m), f.emin() - f.mbits);
  return std::ldexp(static_cast<double>((1 << f.mbits) + m), field - f.bias - f.mbits);
}

inline double minifloat_max_value(const Minifloat& f) { return minifloat_magnitude(f.max_code(), f); }

// Value of a full signed code (bits above code_bits() are ignored): the sign
// applies to zero too (−0), and the format's special codes give NaN or ±Inf.
inline double minifloat_decode(uint8_t code, const Minifloat& f) {
  const uint8_t mag = static_cast<uint8_t>(code & (f.sign_bit() - 1));
  const bool negative = (code & f.sign_bit()) != 0;
  double v;
  if (mag > f.max_code()) {
    const bool inf = f.specials == MinifloatSpecials::kIeeeLike && (mag & ((1 << f.mbits) - 1)) == 0;
    v = inf ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else {
    v = minifloat_magnitude(mag, f);
  }
  return negative ? -v : v;
}

// RNE of a magnitude `a` (>= 0, may be +Inf) onto the finite grid of `f`
// (spec/BASELINES.md §0 "RNE onto grid G": the nearest member; at a midpoint,
// the member with the even code). Magnitudes above the largest finite value
// saturate to it. Returns the magnitude code.
inline uint8_t minifloat_round_even(double a, const Minifloat& f) {
  if (!(a > 0)) return 0;
  if (a >= minifloat_max_value(f)) return f.max_code();
  // Quantum of the binade of `a` (the subnormal quantum below the normals).
  int e2 = 0;
  std::frexp(a, &e2);  // a = frac · 2^e2, frac in [0.5, 1): floor(log2 a) = e2 − 1
  const int pe = std::max(e2 - 1, f.emin());
  const double n = std::ldexp(a, f.mbits - pe);  // exact: a scaled by a power of two, n < 2^(mbits+1)
  double q = std::floor(n);
  const double frac = n - q;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(q, 2.0) != 0)) q += 1;
  // code = (pe − emin)·2^mbits + q holds for subnormals (pe = emin, q < 2^mbits)
  // and normals (q = 2^mbits + mantissa); q = 2^(mbits+1) carries into the next binade.
  const int code = ((pe - f.emin()) << f.mbits) + static_cast<int>(q);
  return static_cast<uint8_t>(std::min(code, static_cast<int>(f.max_code())));
}

}  // namespace hifloat
