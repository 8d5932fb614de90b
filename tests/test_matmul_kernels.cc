// Every fast matmul kernel against the scalar reference of docs/matmul.md, bit
// for bit: random data, odd shapes, NaN units, 1 and 2 threads.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
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

const Shape3 kShapes[] = {{1, 1, 1},  {1, 7, 63},   {1, 33, 64},  {1, 70, 200}, {2, 5, 65},
                          {3, 9, 130}, {5, 13, 17}, {8, 16, 256}, {9, 11, 1000}};

void check_dense(const char* format, bool quantize_floats) {
  uint64_t seed = 100;
  for (const Shape3& s : kShapes) {
    for (bool as_linear : {false, true}) {
      Packed w;
      const Shape shape = as_linear ? Shape{s.n, s.k} : Shape{s.k, s.n};
      const int axis = as_linear ? 1 : 0;
      if (quantize_floats) {
        const std::vector<float> x = random_floats(static_cast<size_t>(s.n * s.k), ++seed);
        w = encode(parse_format(format), x.data(), shape, axis);
      } else {
        w = random_hif4_units(shape, axis, ++seed, 0.03);
      }
      std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), ++seed);
      if (s.k > 5) a[3] = std::numeric_limits<float>::infinity();  // exercises Inf × w
      for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
        const auto want = dense_product(a, s, w, as_linear, acc, true, 1);
        for (int threads : {1, 2}) {
          EXPECT_TRUE(same_bits(dense_product(a, s, w, as_linear, acc, false, threads), want))
              << format << " m=" << s.m << " n=" << s.n << " k=" << s.k << " " << accumulation_name(acc)
              << " threads=" << threads << " linear=" << as_linear;
        }
      }
    }
  }
}

TEST(MatmulKernels, DenseTimesHif4) {
  for_each_target([](int64_t) { check_dense("hif4", false); });
}
TEST(MatmulKernels, DenseTimesHif8) {
  for_each_target([](int64_t) { check_dense("hif8", true); });
}

// Weights quantised by the codec (Codec::quantize through encode): the decode-through-codec paths.
TEST(MatmulKernels, DenseTimesQuantizedBaselines) {
  for (const char* format : {"nvfp4", "mxfp4", "mxfp8_e4m3", "int4"}) {
    for_each_target([format](int64_t) { check_dense(format, true); });
  }
}

TEST(MatmulKernels, DenseBf16EqualsWidenedFp32) {
  const Shape3 s{3, 10, 100};
  const Packed w = random_hif4_units({s.n, s.k}, 1, 5);
  std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), 6);
  const std::vector<bfloat16> ab = round_to_bf16(a);
  std::vector<float> c1(static_cast<size_t>(s.m * s.n)), c2(c1.size());
  linear(a.data(), s.m, s.k, w, c1.data());
  linear(ab.data(), s.m, s.k, w, c2.data());
  EXPECT_TRUE(same_bits(c1, c2));
}

}  // namespace
}  // namespace hifloat

namespace hifloat {
namespace {

void check_packed_hif4() {
  uint64_t seed = 900;
  for (const Shape3& s : kShapes) {
    for (bool as_linear : {false, true}) {
      const Packed a = random_hif4_units({s.m, s.k}, 1, ++seed, 0.02);
      const Packed b = as_linear ? random_hif4_units({s.n, s.k}, 1, ++seed, 0.02)
                                 : random_hif4_units({s.k, s.n}, 0, ++seed, 0.02);
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
          EXPECT_TRUE(same_bits(got, want)) << "m=" << s.m << " n=" << s.n << " k=" << s.k << " "
                                            << accumulation_name(acc) << " threads=" << threads;
        }
      }
    }
  }
}

TEST(MatmulKernels, Hif4TimesHif4) {
  for_each_target([](int64_t) { check_packed_hif4(); });
}

// Wide scale spread: unit products from 2^-100 to 2^40 stress the fp32 and truncating adds.
TEST(MatmulKernels, Hif4TimesHif4WideScales) {
  const Packed a = random_hif4_units({7, 640}, 1, 1, 0.0, 30), b = random_hif4_units({45, 640}, 1, 2, 0.0, 30);
  for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
    std::vector<float> want(7 * 45), got(want.size());
    MatmulOptions opt;
    opt.accumulation = acc;
    opt.reference = true;
    linear(a, b, want.data(), opt);
    opt.reference = false;
    linear(a, b, got.data(), opt);
    EXPECT_TRUE(same_bits(got, want)) << accumulation_name(acc);
  }
}

}  // namespace
}  // namespace hifloat
