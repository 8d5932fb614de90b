// An independent, value-level HiF8 encoder written straight from spec/HIF8.md's
// normative decisions: find the two neighbouring HiF8 values by search in the
// sorted list of magnitudes and pick one by comparing with their midpoint in
// exact double arithmetic. It shares no code with include/hifloat/hif8.h's
// bit-level encoder; only the decoded values of the 256 codes (checked against
// the spec's table in test_hif8.cc) are used to build the list.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hifloat/hif8.h"

namespace hifloat::testing {

class Hif8Reference {
 public:
  Hif8Reference() {
    for (int c = 0; c < 0x80; ++c) {
      if (c == 0x6F) continue;
      entries_.push_back({static_cast<double>(hif8_decode(static_cast<uint8_t>(c))), static_cast<uint8_t>(c)});
    }
    entries_.push_back({49152.0, 0x6F});  // the Inf pattern's would-be value, a virtual top neighbour
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.value < b.value; });
  }

  // `cursor` (optional; start it at 0 and keep it between calls): the search
  // for the upper neighbour resumes where the last call's ended, O(1) per input
  // for a sweep of ascending magnitudes; any order still gives the same answer.
  uint8_t encode(double x, Rounding rounding, Overflow overflow, uint32_t draw24 = 0, size_t* cursor = nullptr) const {
    const uint8_t over = overflow == Overflow::kInf ? 0x6F : 0x6E;
    if (std::isnan(x)) return 0x80;
    const uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
    const double a = std::fabs(x);
    if (std::isinf(a)) return sign | over;
    if (a == 0) return 0;
    // upper_bound: first entry with value > a; lo is the one before it.
    const auto it = upper_neighbour(a, cursor);
    if (it == entries_.end()) {  // a >= 49152: beyond every neighbour pair
      return sign | (rounding == Rounding::kZero ? 0x6E : over);
    }
    const Entry lo = *(it - 1);
    const Entry hi = *it;
    if (rounding == Rounding::kStochastic && a > 32768.0) return sign | over;
    bool up = false;
    const double mid = (lo.value + hi.value) / 2;  // exact in double
    switch (rounding) {
      case Rounding::kAway: up = a >= mid; break;
      case Rounding::kEven: up = a > mid || (a == mid && (lo.code & 1)); break;
      case Rounding::kZero: up = false; break;
      case Rounding::kStochastic: {
        // up iff (a - lo)/(hi - lo) + draw24/2^24 >= 1, in exact arithmetic.
        const double frac_num = a - lo.value;  // exact (Sterbenz, or lo == 0)
        const double den = hi.value - lo.value;
        up = frac_num * 16777216.0 >= den * static_cast<double>(16777216u - draw24);
        break;
      }
    }
    const Entry pick = up ? hi : lo;
    if (pick.code == 0x6F) return sign | over;
    if (pick.code == 0x00) return 0;
    return sign | pick.code;
  }

 private:
  struct Entry {
    double value;
    uint8_t code;
  };
  using Iter = std::vector<Entry>::const_iterator;
  // First entry with value > a.
  Iter upper_neighbour(double a, size_t* cursor) const {
    if (cursor == nullptr) {
      return std::upper_bound(entries_.begin(), entries_.end(), a,
                              [](double v, const Entry& e) { return v < e.value; });
    }
    size_t i = *cursor;
    if (i > entries_.size() || (i > 0 && entries_[i - 1].value > a)) i = 0;  // not ascending: start over
    while (i < entries_.size() && entries_[i].value <= a) ++i;
    *cursor = i;
    return entries_.begin() + static_cast<std::ptrdiff_t>(i);
  }
  std::vector<Entry> entries_;
};

}  // namespace hifloat::testing
