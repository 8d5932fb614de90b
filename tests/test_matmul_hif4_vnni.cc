// HiF4 × HiF4 kernels (matmul_hif4_packed.cc and its AVX-512 VNNI twin
// matmul_hif4_packed_vnni.cc) against the scalar reference of docs/matmul.md,
// bit for bit, on every SIMD target: shapes that fill the 4-row × 32-column
// register tiles and leave row, column and k tails, NaN units, all three
// accumulations, 1 and 2 threads; and the extreme unit integers |w| = 28,
// whose products the VNNI kernel's bias (a + 32) must take back exactly.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "hifloat/matmul.h"
#include "kernel_test_util.h"
#include "kernels/matmul_kernels.h"
#include "matmul_test_util.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::random_hif4_units;
using testing::same_bits;

struct Shape3 {
  int64_t m, n, k;
};

// m: multiples of the 4-row tile and tails; n: one panel, several, a tail of
// 1 and of 31 columns; k: one unit, a partial unit, many units.
const Shape3 kTileShapes[] = {{4, 32, 64},  {8, 64, 128}, {13, 97, 389}, {7, 65, 130},
                              {17, 33, 1},  {5, 63, 700}, {12, 96, 2048}, {1, 1, 64}};

std::vector<float> run(const Packed& a, const Packed& b, Accumulation acc, bool reference, int threads) {
  std::vector<float> c(static_cast<size_t>(a.shape[0] * b.shape[0]), -7.0f);
  MatmulOptions opt;
  opt.accumulation = acc;
  opt.reference = reference;
  opt.threads = threads;
  linear(a, b, c.data(), opt);
  return c;
}

TEST(MatmulHif4Vnni, TilesAndTailsMatchReference) {
  for_each_target([](int64_t) {
    uint64_t seed = 4000;
    for (const Shape3& s : kTileShapes) {
      // A wide scale spread (16 binades) and 5% NaN units.
      const Packed a = random_hif4_units({s.m, s.k}, 1, ++seed, 0.05, 16);
      const Packed b = random_hif4_units({s.n, s.k}, 1, ++seed, 0.05, 16);
      for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
        const auto want = run(a, b, acc, true, 1);
        for (int threads : {1, 2}) {
          EXPECT_TRUE(same_bits(run(a, b, acc, false, threads), want))
              << "m=" << s.m << " n=" << s.n << " k=" << s.k << " " << accumulation_name(acc)
              << " threads=" << threads;
        }
      }
    }
  });
}

// One line of `units` HiF4 units, every element ±28 = ±7·2^2 (all shift flags
// set) and S/4 = 1 (scale code 200: 2^(50−50)·(1 + 0/4), HIF4.md §3.1).
Packed extreme_lines(int64_t rows, int64_t k, bool negative) {
  Packed p;
  p.format = parse_format("hif4");
  p.shape = {rows, k};
  p.axis = 1;
  const int64_t units = rows * (k / 64);
  p.data.resize(static_cast<size_t>(units * 36));
  for (int64_t u = 0; u < units; ++u) {
    uint8_t* unit = p.data.data() + u * 36;
    unit[0] = 200;
    unit[1] = unit[2] = unit[3] = 0xFF;
    std::memset(unit + 4, negative ? 0xFF : 0x77, 32);  // codes 15 (−7) or 7 (+7)
  }
  return p;
}

TEST(MatmulHif4Vnni, ExtremeIntegersAreExact) {
  const int64_t m = 5, n = 35, k = 640;  // 10 units: each output is ±10·64·28·28 = ±501760
  for_each_target([&](int64_t) {
    for (bool neg_a : {false, true})
      for (bool neg_b : {false, true}) {
        const Packed a = extreme_lines(m, k, neg_a), b = extreme_lines(n, k, neg_b);
        const float expected = (neg_a != neg_b) ? -501760.0f : 501760.0f;
        for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate})
          for (int threads : {1, 2}) {
            const auto got = run(a, b, acc, false, threads);
            EXPECT_TRUE(same_bits(got, std::vector<float>(got.size(), expected)))
                << neg_a << neg_b << " " << accumulation_name(acc) << " threads=" << threads;
          }
      }
  });
}

// The VNNI kernel is the one dispatched exactly on the AVX3_DL target, so the
// tests above exercise it wherever the CPU has AVX512-VNNI.
TEST(MatmulHif4Vnni, DispatchedOnAvx3DlOnly) {
  for_each_target([](int64_t target) {
    EXPECT_EQ(kernels::hif4_packed_vnni_dispatched(), kernels::target_name(target) == "AVX3_DL");
  });
}

}  // namespace
}  // namespace hifloat
