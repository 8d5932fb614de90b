// The GEMM paths (M ≥ kGemmMinRows: lane-major packed dense × packed kernel,
// and the HiF8 × HiF8 packed kernel) against the scalar reference of
// docs/matmul.md, bit for bit: odd M/N/K (not multiples of the tiles, of 16 or
// of 64), NaN units / NaN and Inf codes, Inf activations, 1–3 threads, every
// compiled SIMD target this CPU supports.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/hif8.h"
#include "hifloat/matmul.h"
#include "kernel_test_util.h"
#include "matmul_test_util.h"

namespace hifloat {
namespace {

using testing::dense_product;
using testing::for_each_target;
using testing::round_to_bf16;
using testing::Shape3;
using testing::random_floats;
using testing::random_hif4_units;
using testing::same_bits;

// M ≥ 8 (the GEMM path), tails in every dimension; K spans 1 chunk … many units.
const Shape3 kGemmShapes[] = {{8, 1, 1},    {8, 16, 16},   {9, 33, 17},   {13, 31, 64},  {16, 32, 65},
                              {17, 47, 129}, {23, 5, 1000}, {31, 70, 200}, {40, 100, 333}};

// Dense × packed in fp32 for one weight format. hif4 weights come straight
// from random unit bytes (every flag, code and a few NaN units); the others
// from quantising random floats.
void check_dense_gemm(const char* format) {
  uint64_t seed = 7000;
  for (const Shape3& s : kGemmShapes) {
    for (bool as_linear : {false, true}) {
      const Shape shape = as_linear ? Shape{s.n, s.k} : Shape{s.k, s.n};
      const int axis = as_linear ? 1 : 0;
      Packed w;
      if (std::string(format) == "hif4") {
        w = random_hif4_units(shape, axis, ++seed, 0.02);
      } else {
        std::vector<float> x = random_floats(static_cast<size_t>(s.n * s.k), ++seed);
        if (x.size() > 40) x[37] = std::numeric_limits<float>::infinity();  // hif8: Inf code; others: NaN block
        w = encode(parse_format(format), x.data(), shape, axis);
      }
      std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), ++seed);
      if (s.k > 5) {
        a[3] = std::numeric_limits<float>::infinity();  // Inf × w, Inf × 0
        a[a.size() - 2] = -std::numeric_limits<float>::infinity();
        a[a.size() / 2] = std::numeric_limits<float>::quiet_NaN();
      }
      const auto want = dense_product(a, s, w, as_linear, Accumulation::kFp32, true, 1);
      for (int threads : {1, 2, 3}) {
        EXPECT_TRUE(same_bits(dense_product(a, s, w, as_linear, Accumulation::kFp32, false, threads), want))
            << format << " m=" << s.m << " n=" << s.n << " k=" << s.k << " threads=" << threads
            << " linear=" << as_linear;
      }
    }
  }
}

TEST(MatmulGemm, DenseTimesHif4) {
  for_each_target([](int64_t) { check_dense_gemm("hif4"); });
}
TEST(MatmulGemm, DenseTimesHif8) {
  for_each_target([](int64_t) { check_dense_gemm("hif8"); });
}
TEST(MatmulGemm, DenseTimesBaselines) {
  for (const char* format : {"nvfp4", "mxfp8_e4m3", "int4"}) check_dense_gemm(format);
}

// Cancellation-heavy data: large activations of both signs against weights
// of widely spread scales, so that the order of the FMA chains and of the
// tree shows in the low bits (a kernel that summed in another order fails).
TEST(MatmulGemm, DenseOrderSensitive) {
  const Shape3 s{19, 45, 777};
  const Packed w = random_hif4_units({s.n, s.k}, 1, 99, 0.0, 20);
  const std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), 98, 30);
  const auto want = dense_product(a, s, w, true, Accumulation::kFp32, true, 1);
  EXPECT_TRUE(same_bits(dense_product(a, s, w, true, Accumulation::kFp32, false, 2), want));
  // And the rule is not order-free here: a plain left-to-right fp32 sum differs somewhere.
  std::vector<float> wd(static_cast<size_t>(s.n * s.k));
  std::vector<float> eye(static_cast<size_t>(s.k * s.k), 0.0f);
  for (int64_t i = 0; i < s.k; ++i) eye[i * s.k + i] = 1.0f;
  MatmulOptions ref;
  ref.reference = true;
  std::vector<float> wt(static_cast<size_t>(s.k * s.n));
  linear(eye.data(), s.k, s.k, w, wt.data(), ref);  // wt[k][n] = ŵ[n][k] (one exact product per output)
  int differ = 0;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      float acc = 0;
      for (int64_t kk = 0; kk < s.k; ++kk) acc += a[i * s.k + kk] * wt[kk * s.n + j];
      differ += std::bit_cast<uint32_t>(acc) != std::bit_cast<uint32_t>(want[i * s.n + j]);
    }
  EXPECT_GT(differ, 0);
}

// Long K: the packed A is limited to ~32 MiB per pass, so M = 137 rows with
// K = 65541 run in two passes over M (128 + 9 rows on AVX-512).
TEST(MatmulGemm, DenseLongKSeveralPasses) {
  const Shape3 s{137, 5, 65541};
  const Packed w = random_hif4_units({s.n, s.k}, 1, 31, 0.0);
  const std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), 32);
  const auto want = dense_product(a, s, w, true, Accumulation::kFp32, true, 1);
  for (int threads : {1, 2}) EXPECT_TRUE(same_bits(dense_product(a, s, w, true, Accumulation::kFp32, false, threads), want)) << threads;
}

TEST(MatmulGemm, DenseBf16) {
  const Shape3 s{12, 20, 150};
  const Packed w = random_hif4_units({s.n, s.k}, 1, 5);
  std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), 6);
  const std::vector<bfloat16> ab = round_to_bf16(a);
  std::vector<float> want(static_cast<size_t>(s.m * s.n)), got(want.size());
  MatmulOptions ref;
  ref.reference = true;
  linear(a.data(), s.m, s.k, w, want.data(), ref);
  linear(ab.data(), s.m, s.k, w, got.data());
  EXPECT_TRUE(same_bits(got, want));
}


// HiF8 operands: codes straight from random bytes (every code, so exponent
// spreads of up to 37 binades that force the integer path, NaN and ±Inf
// codes), or quantised Gaussian floats (narrow spreads: the fp64 path), or a
// mix line by line and block by block.
enum class Hif8Data { kRandomCodes, kGaussian, kMixed };

Packed byte_operand(const char* format, const Shape& shape, uint64_t seed, Hif8Data kind) {
  Packed p;
  if (kind == Hif8Data::kRandomCodes) {
    p.format = parse_format(format);
    p.shape = shape;
    p.axis = 0;
    std::mt19937_64 rng(seed);
    p.data.resize(static_cast<size_t>(shape[0] * (shape.size() > 1 ? shape[1] : 1)));
    for (auto& b : p.data) b = static_cast<uint8_t>(rng());
    return p;
  }
  std::vector<float> x = random_floats(static_cast<size_t>(shape[0] * (shape.size() > 1 ? shape[1] : 1)), seed, 1.5);
  if (kind == Hif8Data::kMixed) {
    std::mt19937_64 rng(seed + 1);
    for (size_t i = 0; i < x.size(); i += 1 + rng() % 97) x[i] = std::ldexp(x[i], static_cast<int>(rng() % 36) - 20);
  }
  return encode(parse_format(format), x.data(), shape, 0);
}

// The same kernel serves every one-byte elementwise format (matmul_hif8_packed.cc).
void check_bytes_packed(const char* format, Hif8Data kind) {
  const Shape3 shapes[] = {{1, 1, 1},    {1, 19, 64},   {2, 7, 65},    {9, 17, 130}, {8, 16, 128},
                           {13, 33, 200}, {17, 40, 1000}, {3, 70, 63}};
  uint64_t seed = 4000 + static_cast<uint64_t>(kind) * 100;
  for (const Shape3& s : shapes) {
    for (bool as_linear : {false, true}) {
      const Packed a = byte_operand(format, {s.m, s.k}, ++seed, kind);
      const Packed b = byte_operand(format, as_linear ? Shape{s.n, s.k} : Shape{s.k, s.n}, ++seed, kind);
      for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
        std::vector<float> want(static_cast<size_t>(s.m * s.n)), got(want.size());
        MatmulOptions opt;
        opt.accumulation = acc;
        opt.reference = true;
        as_linear ? linear(a, b, want.data(), opt) : matmul(a, b, want.data(), opt);
        for (int threads : {1, 2}) {
          opt.reference = false;
          opt.threads = threads;
          std::fill(got.begin(), got.end(), -7.0f);
          as_linear ? linear(a, b, got.data(), opt) : matmul(a, b, got.data(), opt);
          EXPECT_TRUE(same_bits(got, want)) << format << " kind=" << static_cast<int>(kind) << " m=" << s.m << " n=" << s.n
                                            << " k=" << s.k << " " << accumulation_name(acc) << " threads=" << threads
                                            << " linear=" << as_linear;
        }
      }
    }
  }
}

TEST(MatmulGemm, Hif8TimesHif8RandomCodes) {
  for_each_target([](int64_t) { check_bytes_packed("hif8", Hif8Data::kRandomCodes); });
}
TEST(MatmulGemm, Hif8TimesHif8Gaussian) {
  for_each_target([](int64_t) { check_bytes_packed("hif8", Hif8Data::kGaussian); });
}
TEST(MatmulGemm, Hif8TimesHif8Mixed) {
  for_each_target([](int64_t) { check_bytes_packed("hif8", Hif8Data::kMixed); });
}
// Same code as HiF8 apart from the table (targets are covered above).
TEST(MatmulGemm, Fp8TimesFp8) {
  for (const char* format : {"fp8_e4m3", "fp8_e5m2", "fp8_e5m2:overflow=saturate"}) {
    for (Hif8Data kind : {Hif8Data::kRandomCodes, Hif8Data::kGaussian, Hif8Data::kMixed}) check_bytes_packed(format, kind);
  }
}

// Block sums that need more than 24 bits and cancel: 2^15·2^15 against
// 2^-22·2^-22 in one block. fp32 rounds the block once; a kernel that summed
// the block in fp32 (or rounded twice) would lose the tiny products.
TEST(MatmulGemm, Hif8WideBlockSums) {
  const int64_t k = 130;
  std::vector<float> a(static_cast<size_t>(2 * k), 0.0f), b(static_cast<size_t>(k), 0.0f);
  a[0] = 32768; b[0] = 32768;   // 2^30
  a[1] = 0x1p-22f; b[1] = 0x1p-22f;  // 2^-44
  a[2] = -32768; b[2] = 32768;  // −2^30: the block sum is 2^-44 exactly
  a[k + 64] = 1; b[64] = 0x1p-22f;
  a[k + 65] = 0x1p-22f; b[65] = 1;  // second row: 2^-21 in block 1
  const Packed pa = encode(parse_format("hif8"), a.data(), {2, k}, 1), pb = encode(parse_format("hif8"), b.data(), {1, k}, 1);
  for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
    std::vector<float> got(2);
    MatmulOptions opt;
    opt.accumulation = acc;
    linear(pa, pb, got.data(), opt);
    EXPECT_EQ(got[0], 0x1p-44f) << accumulation_name(acc);
    EXPECT_EQ(got[1], 0x1p-21f) << accumulation_name(acc);
  }
}

// Long K: packed A is limited to ~32 MiB of fp64 per pass, so 137 rows with
// K = 32769 run in two passes over M.
TEST(MatmulGemm, Hif8LongKSeveralPasses) {
  const Shape3 s{137, 2, 32769};
  for (Hif8Data kind : {Hif8Data::kMixed}) {
    const Packed a = byte_operand("hif8", {s.m, s.k}, 51, kind), b = byte_operand("hif8", {s.n, s.k}, 52, kind);
    for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
      std::vector<float> want(static_cast<size_t>(s.m * s.n)), got(want.size());
      MatmulOptions opt;
      opt.accumulation = acc;
      opt.reference = true;
      linear(a, b, want.data(), opt);
      opt.reference = false;
      opt.threads = 2;
      linear(a, b, got.data(), opt);
      EXPECT_TRUE(same_bits(got, want)) << accumulation_name(acc) << " kind=" << static_cast<int>(kind);
    }
  }
}

// §2.3 truncation where the exact sum needs more than fp64's 53 bits: an
// accumulator of 2^20 (or 1.5·2^20) after block 0 and a block-1 sum of
// ±2^-40. Truncation steps to the float below only when the tiny part points
// toward zero; fp32 and exact round it away.
TEST(MatmulGemm, Hif8TruncatesTowardZero) {
  const int64_t k = 100;
  const float big[] = {0x1p20f, 0x1.8p20f};
  for (float acc0 : big) {
    for (float sign : {-1.0f, 1.0f}) {
      std::vector<float> a(static_cast<size_t>(k), 0.0f), b(static_cast<size_t>(k), 0.0f);
      a[0] = 32768;
      b[0] = acc0 / 32768;  // 32 or 48
      a[64] = 0x1p-20f;
      b[64] = sign * 0x1p-20f;  // block 1 sum: ±2^-40
      const Packed pa = encode(parse_format("hif8"), a.data(), {1, k}, 1);
      const Packed pb = encode(parse_format("hif8"), b.data(), {1, k}, 1);
      for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
        float got = 0;
        MatmulOptions opt;
        opt.accumulation = acc;
        linear(pa, pb, &got, opt);
        const float want = (acc == Accumulation::kFp32Truncate && sign < 0) ? std::nextafter(acc0, 0.0f) : acc0;
        EXPECT_EQ(got, want) << accumulation_name(acc) << " acc0=" << acc0 << " sign=" << sign;
      }
    }
  }
}

}  // namespace
}  // namespace hifloat
