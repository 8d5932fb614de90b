// An independent, value-level OFP8 reference written from spec/BASELINES.md §1,
// §5 and §6. Code values come from the spec's formula evaluated with ldexp in
// double (not from the library's decode table), and encoding searches the sorted
// list of values for the two neighbours of |x| and compares with their exact
// midpoint, ties to the even code. It shares no code with include/hifloat/fp8.h.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hifloat::testing {

struct Fp8Params {
  int ebits, mbits, bias;
  bool e5m2;  // E5M2 has Inf (S.11111.00) and NaN S.11111.xx; E4M3 only NaN S.1111.111
};

inline constexpr Fp8Params kE4M3Params{4, 3, 7, false};
inline constexpr Fp8Params kE5M2Params{5, 2, 15, true};

// Value of a code per §1, or NaN/Inf for the special codes.
inline double fp8_value(const Fp8Params& p, int code) {
  const int sign = code >> 7;
  const int field = (code >> p.mbits) & ((1 << p.ebits) - 1);
  const int mant = code & ((1 << p.mbits) - 1);
  const int top = (1 << p.ebits) - 1;
  double mag;
  if (!p.e5m2 && field == top && mant == (1 << p.mbits) - 1) {
    mag = NAN;
  } else if (p.e5m2 && field == top) {
    mag = mant == 0 ? INFINITY : NAN;
  } else if (field == 0) {
    mag = std::ldexp(static_cast<double>(mant), 1 - p.bias - p.mbits);
  } else {
    mag = std::ldexp(1.0 + std::ldexp(static_cast<double>(mant), -p.mbits), field - p.bias);
  }
  return sign ? -mag : mag;
}

class Fp8Reference {
 public:
  explicit Fp8Reference(const Fp8Params& p) {
    for (int c = 0; c < 128; ++c) {
      const double v = fp8_value(p, c);
      if (std::isfinite(v)) grid_.push_back({v, c});
    }
    std::sort(grid_.begin(), grid_.end(), [](const Entry& a, const Entry& b) { return a.value < b.value; });
    max_code_ = grid_.back().code;
    // The would-be next value above the maximum (one more step of the top
    // binade): 480 for E4M3, 2^16 for E5M2. Picking it means overflow.
    const double step = grid_.back().value - grid_[grid_.size() - 2].value;
    grid_.push_back({grid_.back().value + step, kOverflow});
  }

  static constexpr int kOverflow = -1;
  int max_code() const { return max_code_; }

  // Magnitude code of finite a >= 0 under RNE, or kOverflow. With `cursor`
  // (start it at 0 and keep it between calls) the search for the upper
  // neighbour resumes where the last call's ended, so a sweep over ascending
  // magnitudes costs O(1) per input instead of a binary search; any order of
  // inputs still gives the same answer.
  int round_magnitude(double a, size_t* cursor = nullptr) const {
    const auto it = upper_neighbour(a, cursor);
    if (it == grid_.end()) return kOverflow;  // at or beyond the would-be next value
    const Entry lo = *(it - 1), hi = *it;     // lo.value <= a < hi.value (grid_[0] is 0)
    const double mid = (lo.value + hi.value) / 2;  // exact in double
    if (a < mid) return lo.code;
    if (a > mid) return hi.code;
    // Tie: the even code. Neighbouring codes differ by one, so when lo is odd
    // hi is even (the virtual entry stands for code max_code + 1).
    return (lo.code % 2 == 0) ? lo.code : hi.code;
  }

 private:
  struct Entry {
    double value;
    int code;
  };
  using Iter = std::vector<Entry>::const_iterator;
  // First entry with value > a.
  Iter upper_neighbour(double a, size_t* cursor) const {
    if (cursor == nullptr) {
      return std::upper_bound(grid_.begin(), grid_.end(), a, [](double v, const Entry& e) { return v < e.value; });
    }
    size_t i = *cursor;
    if (i > grid_.size() || (i > 0 && grid_[i - 1].value > a)) i = 0;  // not ascending: start over
    while (i < grid_.size() && grid_[i].value <= a) ++i;
    *cursor = i;
    return grid_.begin() + static_cast<std::ptrdiff_t>(i);
  }
  std::vector<Entry> grid_;
  int max_code_ = 0;
};

// §5: overflow=saturate (nan_on_overflow false) or overflow=nan.
// `cursor`: see Fp8Reference::round_magnitude.
inline uint8_t ref_e4m3(const Fp8Reference& r, double x, bool nan_on_overflow, size_t* cursor = nullptr) {
  const int sign = std::signbit(x) ? 0x80 : 0;
  if (std::isnan(x)) return static_cast<uint8_t>(sign | 0x7F);
  const int over = nan_on_overflow ? 0x7F : 0x7E;
  if (std::isinf(x)) return static_cast<uint8_t>(sign | over);
  const int m = r.round_magnitude(std::fabs(x), cursor);
  return static_cast<uint8_t>(sign | (m == Fp8Reference::kOverflow ? over : m));
}

// §6: overflow=inf (saturate false) or overflow=saturate.
inline uint8_t ref_e5m2(const Fp8Reference& r, double x, bool saturate, size_t* cursor = nullptr) {
  const int sign = std::signbit(x) ? 0x80 : 0;
  if (std::isnan(x)) return static_cast<uint8_t>(sign | 0x7E);
  const int over = saturate ? 0x7B : 0x7C;
  if (std::isinf(x)) return static_cast<uint8_t>(sign | over);
  const int m = r.round_magnitude(std::fabs(x), cursor);
  return static_cast<uint8_t>(sign | (m == Fp8Reference::kOverflow ? over : m));
}

}  // namespace hifloat::testing
