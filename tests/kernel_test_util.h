// Helpers for the fast-path tests: the SIMD targets to run, thread counts,
// and input sets that hit every branch of an elementwise encoder.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/format.h"
#include "kernels/targets.h"

namespace hifloat::testing {

// Thread counts every fast path is checked with: one, both cores, and more
// threads than cores with ranges of uneven length.
inline const std::vector<int> kThreadCounts = {1, 2, 7};

// Runs body() once per SIMD target compiled in and supported by this CPU, with
// dispatch pinned to it; failures name the target.
template <typename Body>
void for_each_target(Body body) {
  const std::vector<int64_t> targets = kernels::available_targets();
  ASSERT_FALSE(targets.empty());
  for (int64_t t : targets) {
    kernels::ScopedTarget pin(t);
    SCOPED_TRACE("SIMD target " + kernels::target_name(t));
    body(t);
  }
}

// A packed tensor of `fmt` whose record bytes are all random: decoders must
// read any bytes (scales, flags, codes) the same way as the reference.
inline Packed random_packed(const FormatSpec& fmt, const Shape& shape, int axis, std::mt19937& rng) {
  Packed p;
  p.format = fmt;
  p.shape = shape;
  p.axis = axis;
  p.data.resize(make_codec(fmt)->packed_bytes(shape, axis));
  for (uint8_t& b : p.data) b = static_cast<uint8_t>(rng());
  return p;
}

// Float32 bit patterns around every power of two from 2^-30 to 2^20 (each
// HiF8 binade boundary, grid point and midpoint lies on a multiple of 2^-3 of
// the binade, checked with +-1 and +-2 ulp), the special values, and random
// patterns: uniform over all 2^32 and uniform in the HiF8 exponent range.
inline std::vector<float> interesting_floats(size_t random_count, uint32_t seed = 1) {
  std::vector<uint32_t> bits;
  for (uint32_t be = 127 - 30; be <= 127 + 20; ++be) {
    for (uint32_t m = 0; m < 32; ++m) {  // multiples of 1/32 of the binade: grid points and midpoints
      const uint32_t base = (be << 23) | (m << 18);
      for (int d = -2; d <= 2; ++d) bits.push_back(base + static_cast<uint32_t>(d));
    }
  }
  for (uint32_t s : {0x00000000u, 0x00000001u, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu, 0x7F800000u, 0x7F800001u,
                     0x7FC00000u, 0x7FFFFFFFu, 0x47000000u, 0x47200000u, 0x471FFFFFu, 0x47400000u, 0x473FFFFFu,
                     0x34000000u, 0x33FFFFFFu, 0x34800000u, 0x37C00000u, 0x38000000u}) {
    bits.push_back(s);
  }
  const size_t specials = bits.size();
  for (size_t i = 0; i < specials; ++i) bits.push_back(bits[i] | 0x80000000u);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < random_count; ++i) {
    if (i % 2) {
      bits.push_back(rng());
    } else {
      const uint32_t be = 127 - 26 + rng() % 44;  // 2^-26 .. 2^17
      bits.push_back((rng() & 0x80000000u) | (be << 23) | (rng() & 0x7FFFFFu));
    }
  }
  std::vector<float> out(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) out[i] = std::bit_cast<float>(bits[i]);
  return out;
}

}  // namespace hifloat::testing
