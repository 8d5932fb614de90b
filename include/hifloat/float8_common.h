// What the one-byte value types (hif8.h, fp8.h) share: comparisons on the
// decoded values and the std::numeric_limits fields that are the same for all
// of them. Header-only and dependency-free, like the types themselves.
#pragma once

#include <limits>

namespace hifloat::float8_detail {

// Mixed into a value type T (CRTP) that converts explicitly to float: IEEE
// semantics on the decoded values, so NaN is unordered and -0 == +0. Codes are
// not monotonic in value for every format, so nothing here compares bits.
template <typename T>
struct DecodedComparisons {
  friend constexpr bool operator==(T a, T b) { return static_cast<float>(a) == static_cast<float>(b); }
  friend constexpr bool operator!=(T a, T b) { return !(a == b); }
  friend constexpr bool operator<(T a, T b) { return static_cast<float>(a) < static_cast<float>(b); }
  friend constexpr bool operator<=(T a, T b) { return static_cast<float>(a) <= static_cast<float>(b); }
  friend constexpr bool operator>(T a, T b) { return static_cast<float>(a) > static_cast<float>(b); }
  friend constexpr bool operator>=(T a, T b) { return static_cast<float>(a) >= static_cast<float>(b); }
};

// The std::numeric_limits fields common to every 8-bit float here; each
// specialisation adds its digits, exponents, has_infinity and values.
struct LimitsBase {
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool is_integer = false;
  static constexpr bool is_exact = false;
  static constexpr bool has_quiet_NaN = true;
  static constexpr bool has_signaling_NaN = false;
  static constexpr std::float_denorm_style has_denorm = std::denorm_present;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style = std::round_to_nearest;
  static constexpr bool is_iec559 = false;
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;
  static constexpr int digits10 = 0;
  static constexpr int radix = 2;
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;
};

}  // namespace hifloat::float8_detail
