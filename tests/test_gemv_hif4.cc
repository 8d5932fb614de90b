// The few-row HiF4 weight kernel (src/kernels/gemv_hif4.cc, M ≤ 96) and its
// neighbours against the scalar reference of docs/matmul.md §2.2, bit for bit:
// every compiled SIMD target (the kernel itself on AVX2, AVX3 and AVX3_DL,
// checked below; the panel-decoding fallback elsewhere), M = 1..17 and around
// the bound (96 still here, 97 and 512 take the GEMM path), K with tails inside a 16-value chunk
// and inside a unit, N not a multiple of the 4-line pass nor of the 64-line
// block threads take, NaN units, every scale code (the kernel's per-code
// tables), extreme scales, non-finite / huge / subnormal activations, nonzero
// padding codes, 1, 2 and 3 threads, both `linear` (N, K) and `matmul` (K, N) layouts.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <random>
#include <vector>

#include "core/matmul_operands.h"
#include "hifloat/matmul.h"
#include "kernel_test_util.h"
#include "kernels/matmul_kernels.h"
#include "kernels/targets.h"
#include "matmul_test_util.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::random_floats;
using testing::random_hif4_units;
using testing::same_bits;

// Activations with the special values the fp32 rule must carry through the
// FMA chains: ±0, ±Inf, NaN, values whose product with ŵ overflows, and
// subnormals (their products with ŵ are exact, so nothing may flush them).
std::vector<float> special_activations(int64_t m, int64_t k, uint64_t seed, bool specials) {
  std::vector<float> a = random_floats(static_cast<size_t>(m * k), seed);
  if (!specials) return a;
  std::mt19937_64 rng(seed ^ 0x5eed);
  const float kSpecials[] = {0.0f,
                             -0.0f,
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::max(),
                             -std::ldexp(1.0f, 126),
                             std::ldexp(1.5f, 125),
                             std::numeric_limits<float>::denorm_min(),
                             -std::ldexp(3.0f, -140)};
  for (auto& x : a)
    if (rng() % 23 == 0) x = kSpecials[rng() % std::size(kSpecials)];
  return a;
}

void expect_matches_reference(const std::vector<float>& a, int64_t m, int64_t k, const Packed& w, bool linear_form,
                              const char* what) {
  const int64_t n = linear_form ? w.shape[0] : w.shape[1];
  const testing::Shape3 shape{m, n, k};
  const auto want = testing::dense_product(a, shape, w, linear_form, Accumulation::kFp32, true, 1);
  for (int threads : {1, 2, 3}) {
    EXPECT_TRUE(same_bits(testing::dense_product(a, shape, w, linear_form, Accumulation::kFp32, false, threads), want))
        << what << " m=" << m << " k=" << k << " n=" << n << " linear=" << linear_form << " threads=" << threads;
  }
}

// Linear-form (N, K) weights for every M × N of the lists at one K, with
// special activations: the shape sweeps of the tests below.
void expect_shapes_match_reference(std::initializer_list<int64_t> ms, std::initializer_list<int64_t> ns, int64_t k,
                                   uint64_t seed, const char* what) {
  for (int64_t m : ms)
    for (int64_t n : ns) {
      const Packed w = random_hif4_units({n, k}, 1, ++seed, 0.02);
      const auto a = special_activations(m, k, ++seed, true);
      expect_matches_reference(a, m, k, w, true, what);
    }
}

// The kernel must really run where it is compiled (x86 AVX2 and AVX-512),
// not the fallback, or the tests here would check the wrong code; called
// directly, for M = 1 and 16 and 1 and 2 threads, against the reference.
TEST(GemvHif4, KernelRunsOnAvx2AndAvx512) {
  for_each_target([](int64_t target) {
    const std::string name = kernels::target_name(target);
    const bool has_kernel = name == "AVX2" || name == "AVX3" || name == "AVX3_DL";
    const int64_t k = 130, n = 9;
    const Packed w = random_hif4_units({n, k}, 1, 31, 0.1);
    const PackedLines lines = view_lines(w, 1, "W");
    for (int64_t m : {int64_t{1}, int64_t{16}, kernels::kGemvMaxRows}) {
      const auto a = special_activations(m, k, 32, true);
      std::vector<float> want(static_cast<size_t>(m * n));
      reference_matmul(a.data(), m, lines, Accumulation::kFp32, want.data());
      for (int threads : {1, 2}) {
        std::vector<float> c(static_cast<size_t>(m * n), -7.0f);
        EXPECT_EQ(kernels::gemv_hif4(a.data(), m, lines, c.data(), threads), has_kernel) << name;
        if (has_kernel) {
          EXPECT_TRUE(same_bits(c, want)) << "m=" << m << " threads=" << threads;
        }
      }
    }
  });
}

TEST(GemvHif4, RandomShapesMatchReference) {
  const int64_t kK[] = {1, 15, 16, 17, 63, 64, 65, 100, 191, 256, 1000};
  const int64_t kN[] = {1, 3, 4, 5, 18, 37};
  for_each_target([&](int64_t) {
    uint64_t seed = 1;
    for (int64_t m = 1; m <= 17; ++m)
      for (int64_t k : kK)
        for (int64_t n : kN) {
          const bool linear_form = (seed & 1) != 0;
          const Packed w = linear_form ? random_hif4_units({n, k}, 1, ++seed, 0.02)
                                       : random_hif4_units({k, n}, 0, ++seed, 0.02);
          const auto a = special_activations(m, k, ++seed, false);
          expect_matches_reference(a, m, k, w, linear_form, "plain");
        }
  });
}

// M on both sides of kGemvMaxRows (96: this kernel; 97, 512: the lane-major GEMM),
// which must agree with each other through the reference.
TEST(GemvHif4, RowsAroundTheGemmBoundMatchReference) {
  for_each_target([](int64_t) { expect_shapes_match_reference({61, 96, 97, 512}, {5, 66}, 70, 700, "rows"); });
}

// N over several 64-line blocks (the unit of work a thread takes), not a
// multiple of 64 or of 4, with M over one and several 4-row groups.
TEST(GemvHif4, ManyLineBlocksMatchReference) {
  for_each_target([](int64_t) { expect_shapes_match_reference({1, 3, 6}, {64, 65, 130, 197}, 96, 900, "blocks"); });
}

TEST(GemvHif4, SpecialActivationsAndExtremeScales) {
  for_each_target([](int64_t) {
    uint64_t seed = 500;
    for (int64_t m : {1, 2, 4, 7})
      for (int64_t k : {33, 64, 200, 640}) {
        // spread 48: scale codes across the whole E6M2 range, both ends included.
        Packed w = random_hif4_units({21, k}, 1, ++seed, 0.05, 48);
        w.data[0] = 0x00;   // smallest scale S = 2^-48
        w.data[36 * ((k + 63) / 64)] = 0xFE;  // largest finite scale, line 1
        const auto a = special_activations(m, k, ++seed, true);
        expect_matches_reference(a, m, k, w, true, "specials");
      }
  });
}

// A line whose every activation is huge: ŵ·a overflows to ±Inf in some FMAs
// and not in others, and Inf − Inf gives NaN within a lane.
TEST(GemvHif4, HugeActivationsOverflowLikeTheReference) {
  for_each_target([](int64_t) {
    const int64_t k = 256;
    std::vector<float> a(static_cast<size_t>(2 * k));
    for (int64_t i = 0; i < 2 * k; ++i) a[i] = (i % 3 == 0 ? -1.0f : 1.0f) * std::ldexp(1.0f + (i % 7) / 8.0f, 120 + i % 8);
    const Packed w = random_hif4_units({9, k}, 1, 77, 0.0, 48);
    expect_matches_reference(a, 2, k, w, true, "huge");
  });
}

// Padding codes past K need not be zero for the reference (it decodes only K
// values); the kernel must ignore them too, including next to Inf activations.
TEST(GemvHif4, NonzeroPaddingIsIgnored) {
  for_each_target([](int64_t) {
    for (int64_t k : {1, 17, 70}) {
      Packed w = random_hif4_units({6, k}, 1, 300 + k);
      std::mt19937_64 rng(k);
      const int64_t upl = (k + 63) / 64;
      for (int64_t line = 0; line < 6; ++line) {
        uint8_t* unit = w.data.data() + (line * upl + upl - 1) * 36;
        for (int64_t i = k % 64; i < 64; ++i)
          unit[4 + i / 2] |= static_cast<uint8_t>(((rng() % 15) + 1) << (4 * (i & 1)));
      }
      std::vector<float> a = random_floats(static_cast<size_t>(3 * k), 9);
      a[static_cast<size_t>(k - 1)] = std::numeric_limits<float>::infinity();
      expect_matches_reference(a, 3, k, w, true, "padding");
    }
  });
}

// Every E1M2 code and flag pattern with activation 1: each output is then the
// lane tree of exact weight sums, so this pins the decode independently of
// FMA rounding. The expected value is computed here from HIF4.md §3 directly.
TEST(GemvHif4, EveryCodeAndFlagPatternDecodes) {
  for_each_target([](int64_t) {
    const int64_t k = 64, n = 256;
    Packed w = random_hif4_units({n, k}, 1, 4242);
    for (int64_t j = 0; j < n; ++j) {
      uint8_t* unit = w.data.data() + j * 36;
      unit[0] = static_cast<uint8_t>(0xC0 + (j % 8));  // S = (1 + (j%4)/4)·2^(j%8>>2)
      unit[1] = static_cast<uint8_t>(j);               // every b8 pattern
      unit[2] = static_cast<uint8_t>(j * 7);            // b4 patterns
      unit[3] = static_cast<uint8_t>(j * 13 + 5);
      for (int p = 0; p < 32; ++p) unit[4 + p] = static_cast<uint8_t>(j + 16 * p + p);  // every nibble
    }
    for (int64_t col = 0; col < k; ++col) {
      std::vector<float> a(static_cast<size_t>(k), 0.0f);
      a[col] = 1.0f;
      std::vector<float> c(n);
      linear(a.data(), 1, k, w, c.data());
      for (int64_t j = 0; j < n; ++j) {
        const uint8_t* unit = w.data.data() + j * 36;
        const int code = (unit[4 + col / 2] >> (4 * (col % 2))) & 15;
        const int sh = ((unit[1] >> (col / 8)) & 1) + ((((unit[2] | (unit[3] << 8)) >> (col / 4))) & 1);
        const double s = (1.0 + (unit[0] & 3) / 4.0) * std::ldexp(1.0, (unit[0] >> 2) - 48);
        const double want = (code & 8 ? -1.0 : 1.0) * (code & 7) / 4.0 * std::ldexp(1.0, sh) * s;
        ASSERT_EQ(c[j], static_cast<float>(want)) << "line " << j << " k " << col;
      }
    }
  });
}

// Every scale code 0x00..0xFF (0xFF: NaN unit) with every E1M2 code and
// shift 0, 1, 2, activation 1: the kernel reads ±q·S/4 from a table per scale
// code, so each row of that table is checked here against HIF4.md §3 computed
// in double.
TEST(GemvHif4, EveryScaleCodeDecodes) {
  for_each_target([](int64_t) {
    const int64_t k = 64, n = 256 * 3;
    Packed w = random_hif4_units({n, k}, 1, 99);
    for (int64_t j = 0; j < n; ++j) {
      uint8_t* unit = w.data.data() + j * 36;
      const int sh = static_cast<int>(j % 3);
      unit[0] = static_cast<uint8_t>(j / 3);
      unit[1] = sh == 2 ? 0xFF : 0x00;  // b8 of every 8-group
      unit[2] = unit[3] = sh >= 1 ? 0xFF : 0x00;  // b4 of every 4-group
      for (int p = 0; p < 32; ++p) unit[4 + p] = static_cast<uint8_t>((2 * p) % 16 | (((2 * p + 1) % 16) << 4));
    }
    for (int64_t col = 0; col < 16; ++col) {  // element col has E1M2 code col (and so do col+16, col+32, ...)
      std::vector<float> a(static_cast<size_t>(k), 0.0f);
      a[col] = 1.0f;
      std::vector<float> c(n);
      linear(a.data(), 1, k, w, c.data());
      for (int64_t j = 0; j < n; ++j) {
        const int code = static_cast<int>(col), scale = static_cast<int>(j / 3), sh = static_cast<int>(j % 3);
        if (scale == 0xFF) {
          EXPECT_TRUE(std::isnan(c[j])) << "NaN unit, line " << j;
          continue;
        }
        const double s = (1.0 + (scale & 3) / 4.0) * std::ldexp(1.0, (scale >> 2) - 48);
        const double want = (code & 8 ? -1.0 : 1.0) * (code & 7) / 4.0 * std::ldexp(1.0, sh) * s;
        // fma(1, ŵ, +0) = ŵ except ŵ = −0, which gives +0 (HIF4.md §4.3 keeps
        // the sign in the code; the chain starts at +0).
        EXPECT_EQ(std::bit_cast<uint32_t>(c[j]), std::bit_cast<uint32_t>(static_cast<float>(want) + 0.0f))
            << "scale code " << scale << " E1M2 code " << code << " shift " << sh;
      }
    }
  });
}

// Lines of only −0 codes (0x8) and only +0 codes against ±1, −0 and +Inf
// activations (Inf · ±0 = NaN), matched with the reference bit for bit. In the
// §2.2 chains, which start at +0, the sign of a zero weight cannot reach the
// output (s + ±0 = s, and +0 + −0 = +0), so this pins the zero and NaN cases,
// not the sign; the table still keeps −0 (HIF4.md §4.3).
TEST(GemvHif4, SignedZeroWeightsMatchReference) {
  for_each_target([](int64_t) {
    const int64_t k = 64;
    Packed w = random_hif4_units({4, k}, 1, 5);
    for (int64_t j = 0; j < 4; ++j) {
      uint8_t* unit = w.data.data() + j * 36;
      unit[1] = static_cast<uint8_t>(j & 1 ? 0xFF : 0);
      unit[2] = unit[3] = 0;
      for (int p = 0; p < 32; ++p) unit[4 + p] = j < 2 ? 0x88 : 0x00;  // all −0 / all +0
    }
    for (float x : {-1.0f, 1.0f, -0.0f, std::numeric_limits<float>::infinity()}) {
      std::vector<float> a(static_cast<size_t>(2 * k), x);
      a[static_cast<size_t>(k)] = -x;  // second row: mixed signs
      expect_matches_reference(a, 2, k, w, true, "signed zeros");
    }
  });
}

}  // namespace
}  // namespace hifloat
