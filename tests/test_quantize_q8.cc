// The SIMD activation quantiser of docs/matmul.md §7 (kernels/quantize_q8.cc,
// behind hifloat::quantize_activations_q8) against the scalar reference, on
// every SIMD target: random blocks over the whole exponent range, exact ties,
// subnormal scales that make |a/d| exceed 127, scales that underflow to 0,
// NaN/±Inf anywhere in a block, and every tail length.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/matmul_operands.h"
#include "hifloat/matmul.h"
#include "kernel_test_util.h"

namespace hifloat {
namespace {

// Rows of activations, each a different kind of hard case.
std::vector<std::vector<float>> hard_rows() {
  std::vector<std::vector<float>> rows;
  std::mt19937 rng(17);
  std::normal_distribution<float> g(0, 1);
  // Random blocks, each with its own binade from 2^-149 (all subnormal) to 2^127.
  for (int e = -149; e <= 127; e += 3) {
    std::vector<float> r(64 * 3);
    for (size_t i = 0; i < r.size(); ++i) r[i] = std::ldexp(g(rng), e + static_cast<int>(i / 64));
    rows.push_back(r);
  }
  // Exact ties: amax = 127·2^e makes d = 2^e, and (n + 1/2)·2^e lies halfway between codes.
  for (int e : {-20, 0, 30}) {
    std::vector<float> r(64);
    r[0] = std::ldexp(127.0f, e);
    for (int i = 1; i < 64; ++i) r[i] = std::ldexp(static_cast<float>(i - 32) + 0.5f, e);
    rows.push_back(r);
  }
  // Subnormal scales: amax/127 rounds down to a multiple of 2^-149, so |a/d| reaches ~190.
  for (int amax_units : {128, 150, 190, 200, 254, 255, 381}) {
    std::vector<float> r(64);
    for (int i = 0; i < 64; ++i) r[i] = std::ldexp(static_cast<float>(amax_units * (i % 2 ? 1 : -1) - i), -149);
    r[5] = std::ldexp(static_cast<float>(amax_units), -149);
    rows.push_back(r);
  }
  // amax/127 underflows to 0 (d = 0, all codes 0), and all zeros (+0, -0).
  rows.push_back(std::vector<float>(64, std::ldexp(1.0f, -149)));
  rows.push_back(std::vector<float>(64, 0.0f));
  rows.push_back(std::vector<float>(64, -0.0f));
  // Largest finite values (amax/127 near 2.7e36).
  {
    std::vector<float> r(64);
    for (int i = 0; i < 64; ++i) r[i] = (i % 3 ? 1 : -1) * std::numeric_limits<float>::max() / static_cast<float>(1 + i);
    rows.push_back(r);
  }
  // One non-finite value in an otherwise normal block, at every position of a block.
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    for (int pos = 0; pos < 64; pos += 7) {
      std::vector<float> r(128);
      for (auto& x : r) x = g(rng);
      r[static_cast<size_t>(64 + pos)] = bad;
      rows.push_back(r);
    }
  }
  return rows;
}

void expect_same(const float* a, int64_t k, const std::string& what) {
  const int64_t blocks = (k + kQ8Block - 1) / kQ8Block;
  std::vector<int8_t> q(static_cast<size_t>(blocks * kQ8Block), 99), qr(q.size(), 77);
  std::vector<float> d(static_cast<size_t>(blocks), -1.0f), dr(d.size(), -2.0f);
  quantize_activations_q8(a, k, q.data(), d.data());
  reference_quantize_activations_q8(a, k, qr.data(), dr.data());
  for (int64_t b = 0; b < blocks; ++b) {
    const float x = d[static_cast<size_t>(b)], y = dr[static_cast<size_t>(b)];
    const bool same_d = (std::isnan(x) && std::isnan(y)) || std::bit_cast<uint32_t>(x) == std::bit_cast<uint32_t>(y);
    ASSERT_TRUE(same_d) << what << " block " << b << ": d " << x << " want " << y;
  }
  for (size_t i = 0; i < q.size(); ++i) {
    ASSERT_EQ(q[i], qr[i]) << what << " value " << i << " (a = " << (static_cast<int64_t>(i) < k ? a[i] : 0.0f)
                           << ", d = " << dr[i / kQ8Block] << ")";
  }
}

TEST(QuantizeQ8Kernel, EqualsReferenceOnHardBlocksEveryTarget) {
  const auto rows = hard_rows();
  testing::for_each_target([&](int64_t) {
    for (size_t r = 0; r < rows.size(); ++r) {
      expect_same(rows[r].data(), static_cast<int64_t>(rows[r].size()), "row " + std::to_string(r));
    }
  });
}

TEST(QuantizeQ8Kernel, EveryTailLengthEveryTarget) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0, 3);
  std::vector<float> a(64 * 4);
  for (auto& x : a) x = g(rng);
  a[70] = std::numeric_limits<float>::quiet_NaN();  // the second block is non-finite when it holds index 70
  testing::for_each_target([&](int64_t) {
    for (int64_t k = 1; k <= static_cast<int64_t>(a.size()); ++k) {
      expect_same(a.data(), k, "k = " + std::to_string(k));
    }
  });
}

}  // namespace
}  // namespace hifloat
