// Helpers for the matmul tests: random packed operands and bitwise comparison.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/format.h"
#include "hifloat/ieee16.h"
#include "hifloat/matmul.h"

namespace hifloat::testing {

// Random HiF4 units (HIF4.md §7) straight from bytes: every flag and element
// code occurs; scales around 2^scale_center with a spread of `spread` binades.
inline Packed random_hif4_units(const Shape& shape, int axis, uint64_t seed, double nan_rate = 0.0,
                                int spread = 8) {
  Packed p;
  p.format = parse_format("hif4");
  p.shape = shape;
  p.axis = axis;
  const int64_t k = shape[axis];
  int64_t lines = 1;
  for (size_t i = 0; i < shape.size(); ++i)
    if (static_cast<int>(i) != axis) lines *= shape[i];
  const int64_t units = lines * ((k + 63) / 64);
  p.data.resize(static_cast<size_t>(units) * 36);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  for (int64_t r = 0; r < units; ++r) {
    uint8_t* unit = p.data.data() + r * 36;
    for (int i = 0; i < 36; ++i) unit[i] = static_cast<uint8_t>(rng());
    unit[0] = static_cast<uint8_t>(0xC0 - 2 * spread + rng() % (4 * spread));
    if (u01(rng) < nan_rate) unit[0] = 0xFF;
  }
  // The padding of each line's last unit is zero, as the quantiser writes it (HIF4.md §6).
  const int64_t upl = (k + 63) / 64;
  if (k % 64 != 0) {
    for (int64_t o = 0; o < lines; ++o) {
      uint8_t* unit = p.data.data() + (o * upl + upl - 1) * 36;
      for (int64_t i = k % 64; i < 64; ++i) unit[4 + i / 2] &= static_cast<uint8_t>((i & 1) ? 0x0F : 0xF0);
    }
  }
  return p;
}

inline std::vector<float> random_floats(size_t n, uint64_t seed, double spread_binades = 6) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::uniform_real_distribution<double> e(-spread_binades, spread_binades);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng) * static_cast<float>(std::exp2(e(rng)));
  return v;
}

inline ::testing::AssertionResult same_bits(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (!both_nan && std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i]))
      return ::testing::AssertionFailure() << "index " << i << ": got " << got[i] << " want " << want[i];
  }
  return ::testing::AssertionSuccess();
}

struct Shape3 {
  int64_t m, n, k;
};

// The dense × packed product C (M×N) of `a` (M×K) and `w` (linear: N×K, else
// K×N) by one rule. Outputs start at -7 so that one left unwritten shows.
inline std::vector<float> dense_product(const std::vector<float>& a, const Shape3& s, const Packed& w, bool as_linear,
                                        Accumulation acc, bool reference, int threads) {
  std::vector<float> c(static_cast<size_t>(s.m * s.n), -7.0f);
  MatmulOptions opt;
  opt.accumulation = acc;
  opt.reference = reference;
  opt.threads = threads;
  if (as_linear) {
    linear(a.data(), s.m, s.k, w, c.data(), opt);
  } else {
    matmul(a.data(), s.m, s.k, w, c.data(), opt);
  }
  return c;
}

// Rounds `a` to bfloat16 in place and returns the bfloat16 copy, so that `a`
// is exactly the widening of what is returned.
inline std::vector<bfloat16> round_to_bf16(std::vector<float>& a) {
  std::vector<bfloat16> ab(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ab[i] = bfloat16(a[i]);
    a[i] = static_cast<float>(ab[i]);
  }
  return ab;
}

}  // namespace hifloat::testing
