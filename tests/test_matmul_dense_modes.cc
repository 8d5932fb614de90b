// Dense fp32 activations × packed weights in the accumulations exact and
// fp32_trunc (docs/matmul.md §2.1, §2.3, §3.3: matmul_dense_blocksum.cc)
// against the scalar reference (MatmulOptions::reference), bit for bit:
// odd shapes, every compiled SIMD target, 1 and 2 threads, activations whose
// blocks defeat the fp64 path (2^100 next to 2^-100, subnormals, cancellation,
// values near FLT_MAX), NaN/Inf activations and NaN weight units / codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "hifloat/codec.h"
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

constexpr Accumulation kModes[] = {Accumulation::kExact, Accumulation::kFp32Truncate};

// Fast path (all targets, 1 and 2 threads) equals the reference for both modes.
void expect_matches_reference(const std::vector<float>& a, const Shape3& s, const Packed& w, bool as_linear,
                              const std::string& what) {
  for (Accumulation acc : kModes) {
    const auto want = dense_product(a, s, w, as_linear, acc, true, 1);
    for_each_target([&](int64_t) {
      for (int threads : {1, 2}) {
        EXPECT_TRUE(same_bits(dense_product(a, s, w, as_linear, acc, false, threads), want))
            << what << " m=" << s.m << " n=" << s.n << " k=" << s.k << " " << accumulation_name(acc)
            << " threads=" << threads << " linear=" << as_linear;
      }
    });
  }
}

// Weights of `format`: hif4 from random unit bytes (some NaN units), hif8 from
// random code bytes (NaN, ±Inf and every finite code), others quantised from floats.
Packed weights(const std::string& format, const Shape3& s, bool as_linear, uint64_t seed) {
  const Shape shape = as_linear ? Shape{s.n, s.k} : Shape{s.k, s.n};
  const int axis = as_linear ? 1 : 0;
  if (format == "hif4") return random_hif4_units(shape, axis, seed, 0.03);
  if (format == "hif8_bytes") {
    std::mt19937 rng(static_cast<uint32_t>(seed));
    return testing::random_packed(parse_format("hif8"), shape, axis, rng);
  }
  const std::vector<float> x = random_floats(static_cast<size_t>(s.n * s.k), seed, 3);
  return encode(parse_format(format), x.data(), shape, axis);
}

const Shape3 kCases[] = {{1, 1, 1},    {1, 7, 63},    {1, 37, 130}, {2, 5, 65},  {3, 17, 200},
                         {7, 9, 17},   {9, 19, 129},  {13, 33, 257}, {17, 40, 64}};

// Gaussian activations (spread 0: the fp64 path nearly everywhere) and wide
// ones (±6 binades per value: many blocks take the scalar rule).
void check_format(const std::string& format) {
  uint64_t seed = 4000;
  for (const Shape3& s : kCases) {
    for (bool as_linear : {false, true}) {
      const Packed w = weights(format, s, as_linear, ++seed);
      for (double spread : {0.0, 6.0}) {
        std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), ++seed, spread);
        expect_matches_reference(a, s, w, as_linear, format + " spread " + std::to_string(spread));
      }
    }
  }
}

TEST(MatmulDenseModes, Hif4) { check_format("hif4"); }
TEST(MatmulDenseModes, Hif8Quantized) { check_format("hif8"); }
TEST(MatmulDenseModes, Hif8AllCodes) { check_format("hif8_bytes"); }
TEST(MatmulDenseModes, OtherFormats) {
  for (const char* f : {"nvfp4", "mxfp4", "mxfp8_e4m3", "int4", "int8", "fp8_e4m3"}) check_format(f);
}

// Activations built block by block (64 values) from one of several kinds.
std::vector<float> adversarial_rows(int64_t m, int64_t k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> a(static_cast<size_t>(m * k));
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t i = 0; i < m; ++i) {
    float* row = a.data() + i * k;
    for (int64_t b0 = 0; b0 < k; b0 += 64) {
      const int64_t len = std::min<int64_t>(64, k - b0);
      const int kind = static_cast<int>(rng() % 8);
      for (int64_t t = 0; t < len; ++t) {
        float& x = row[b0 + t];
        x = g(rng);
        switch (kind) {
          case 0: break;  // plain Gaussian
          case 1: x = std::ldexp(x, (rng() % 2) ? 100 : -100); break;  // 2^100 next to 2^-100
          case 2: x = std::bit_cast<float>(static_cast<uint32_t>(rng() % 0x00800000u) | (rng() % 2 ? 0x80000000u : 0u)); break;  // subnormal
          case 3: x = std::ldexp(x, 124); break;  // near FLT_MAX: sums overflow
          case 4:  // cancellation: x, -x, tiny
            x = (t % 3 == 2) ? std::ldexp(x, -60) : (t % 3 == 1 ? -row[b0 + t - 1] : std::ldexp(x, 20));
            break;
          case 5: x = std::ldexp(x, -130); break;  // products and sums in the subnormal range
          case 6:  // a few non-finite values
            if (rng() % 16 == 0) x = (rng() % 3 == 0) ? nan : (rng() % 2 ? inf : -inf);
            break;
          default: x = (rng() % 4 == 0) ? 0.0f : x; break;  // zeros
        }
      }
    }
  }
  return a;
}

TEST(MatmulDenseModes, AdversarialActivations) {
  uint64_t seed = 7000;
  for (const std::string format : {"hif4", "hif8", "hif8_bytes", "nvfp4", "mxfp8_e4m3"}) {
    for (const Shape3& s : {Shape3{1, 23, 640}, Shape3{11, 37, 320}, Shape3{9, 17, 199}}) {
      const bool as_linear = seed % 2 == 0;
      const Packed w = weights(format, s, as_linear, ++seed);
      expect_matches_reference(adversarial_rows(s.m, s.k, ++seed), s, w, as_linear, format + " adversarial");
    }
  }
}

// Cancellation across blocks: line n repeats its first unit in every unit and
// row m alternates x, −x block by block, plus a tiny value at the end, so the
// running sums return to (almost) zero after every second block.
TEST(MatmulDenseModes, CancellationAcrossBlocks) {
  const Shape3 s{5, 9, 64 * 6 + 3};
  Packed w = random_hif4_units({s.n, s.k}, 1, 77, 0.0);
  const int64_t upl = (s.k + 63) / 64;
  for (int64_t r = 0; r < s.n; ++r)
    for (int64_t u = 1; u + 1 < upl; ++u)
      std::copy_n(w.data.data() + r * upl * 36, 36, w.data.data() + (r * upl + u) * 36);
  std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), 78, 0.0);
  for (int64_t i = 0; i < s.m; ++i) {
    float* row = a.data() + i * s.k;
    for (int64_t t = 64; t < 64 * 5; ++t) row[t] = (t / 64) % 2 ? -row[t % 64] : row[t % 64];
    row[64 * 5 + 1] = std::ldexp(1.0f, -40 - static_cast<int>(i));
  }
  expect_matches_reference(a, s, w, true, "cancellation");
}

// Whole matrices of one kind, so that whole tiles take the fp64 path and
// reach its edges: results in the subnormal range, overflow, spans just
// beyond 53 bits inside a block, and exact sums spread over > 93 bits.
std::vector<float> uniform_kind(int kind, int64_t m, int64_t k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> a(static_cast<size_t>(m * k));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t t = 0; t < k; ++t) {
      float& x = a[static_cast<size_t>(i * k + t)];
      x = g(rng);
      switch (kind) {
        case 0: x = std::ldexp(x, -136); break;                       // sums near and below 2^-126
        case 1: x = std::ldexp(x, 124); break;                        // sums beyond FLT_MAX
        case 2: x = (rng() % 2) ? std::ldexp(x, -22) : x; break;      // block spans of 45..60 bits
        case 3: x = std::ldexp(x, ((t / 64) % 2) ? 50 : -50); break;  // each block narrow, the line > 93 bits
        default: x = std::ldexp(x, -100 + static_cast<int>(t / 64) * 25); break;  // a line of ~100 bits, blocks apart
      }
    }
  return a;
}

TEST(MatmulDenseModes, UniformKinds) {
  uint64_t seed = 9000;
  for (int kind = 0; kind < 5; ++kind)
    for (const std::string format : {"hif4", "hif8"})
      for (const Shape3& s : {Shape3{1, 19, 300}, Shape3{9, 19, 300}, Shape3{16, 35, 256}}) {
        const Packed w = weights(format, s, true, ++seed);
        expect_matches_reference(uniform_kind(kind, s.m, s.k, ++seed), s, w, true,
                                 format + " kind " + std::to_string(kind));
      }
}

// Weights all 1.0 (HiF8), so products are the activations; one row per call
// (a tile's bounds are merged over its rows). Expected values by hand:
// - 1 + 2^-24 + 2^-60 in three blocks is 1 + 2^-23 exactly rounded, but 1 in
//   float64 rounded again (docs/matmul.md §6);
// - 1 + 1 + 2^-23 + 2^-52 in one block (60 bits: beyond fp64) is 2 + 2^-22,
//   and RZ32(2 + 2^-22 − 2^-52) is 2; fp64 would give 2 and 2 + 2^-22.
TEST(MatmulDenseModes, CraftedSums) {
  const Shape3 s{1, 3, 64 * 3};
  const std::vector<float> ones(static_cast<size_t>(s.n * s.k), 1.0f);
  const Packed w = encode(parse_format("hif8"), ones.data(), {s.n, s.k}, 1);
  struct Crafted {
    std::vector<std::pair<int, float>> values;
    float exact, trunc;
  };
  const std::vector<Crafted> rows = {
      {{{0, 1.0f}, {71, 0x1p-24f}, {137, 0x1p-60f}}, 1.0f + 0x1p-23f, 1.0f},
      {{{0, -1.0f}, {71, -0x1p-24f}, {137, 0x1p-60f}}, -1.0f, -1.0f + 0x1p-24f},  // trunc: RZ(-1 + 2^-60)
      {{{0, 0x1p-80f}, {71, 0x1p-104f}, {137, 0x1p-140f}}, 0x1p-80f + 0x1p-103f, 0x1p-80f},
      {{{0, 0x1p100f}, {71, 0x1p76f}, {137, 0x1p40f}}, 0x1p100f + 0x1p77f, 0x1p100f},
      {{{0, 1.0f}, {1, 1.0f}, {2, 0x1p-23f}, {3, 0x1p-52f}}, 2.0f + 0x1p-22f, 2.0f},
      {{{0, 1.0f}, {1, 1.0f}, {2, 0x1p-22f}, {3, -0x1p-52f}}, 2.0f + 0x1p-22f, 2.0f},
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<float> a(static_cast<size_t>(s.k), 0.0f);
    for (const auto& [pos, v] : rows[r].values) a[static_cast<size_t>(pos)] = v;
    expect_matches_reference(a, s, w, true, "crafted row " + std::to_string(r));
    const auto exact = dense_product(a, s, w, true, Accumulation::kExact, false, 1);
    const auto trunc = dense_product(a, s, w, true, Accumulation::kFp32Truncate, false, 1);
    EXPECT_EQ(exact[0], rows[r].exact) << "row " << r;
    EXPECT_EQ(trunc[0], rows[r].trunc) << "row " << r;
  }
}

TEST(MatmulDenseModes, Bf16EqualsWidenedFp32) {
  const Shape3 s{4, 10, 200};
  const Packed w = random_hif4_units({s.n, s.k}, 1, 5);
  std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), 6);
  const std::vector<bfloat16> ab = round_to_bf16(a);
  for (Accumulation acc : kModes) {
    MatmulOptions opt;
    opt.accumulation = acc;
    std::vector<float> c1(static_cast<size_t>(s.m * s.n)), c2(c1.size());
    linear(a.data(), s.m, s.k, w, c1.data(), opt);
    linear(ab.data(), s.m, s.k, w, c2.data(), opt);
    EXPECT_TRUE(same_bits(c1, c2));
    opt.reference = true;
    linear(a.data(), s.m, s.k, w, c2.data(), opt);
    EXPECT_TRUE(same_bits(c1, c2));
  }
}

}  // namespace
}  // namespace hifloat
