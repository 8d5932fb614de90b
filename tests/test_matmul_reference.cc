// The matmul semantics (docs/matmul.md): the exact accumulator against an
// independent int128 computation, the accumulation rules on hand-made cases,
// HiF4 decoding against HIF4.md §8.1, the integer form of HiF4×HiF4 (HIF4.md
// §9) and the API's errors.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/exact_sum.h"
#include "core/matmul_operands.h"
#include "hifloat/error.h"
#include "hifloat/matmul.h"
#include "matmul_test_util.h"

namespace hifloat {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();

float sum_of(std::initializer_list<float> v, RoundTo mode) {
  ExactSum e;
  for (float x : v) e.add(x);
  return e.round(mode);
}

TEST(MatmulExactSum, HandCases) {
  const RoundTo N = RoundTo::kNearestEven, Z = RoundTo::kTowardZero;
  EXPECT_EQ(sum_of({1.0f, 0x1p-24f}, N), 1.0f);                          // tie, to even
  EXPECT_EQ(sum_of({1.0f, 0x1p-24f, 0x1p-100f}, N), 1.0f + 0x1p-23f);     // just above the tie
  EXPECT_EQ(sum_of({1.0f + 0x1p-23f, 0x1p-24f}, N), 1.0f + 0x1p-22f);     // tie, odd -> up
  EXPECT_EQ(sum_of({1.0f, 0x1p-24f, 0x1p-100f}, Z), 1.0f);                // truncation
  EXPECT_EQ(sum_of({-1.0f, -0x1p-24f, -0x1p-100f}, Z), -1.0f);
  EXPECT_EQ(sum_of({-1.0f, -0x1p-24f, -0x1p-100f}, N), -1.0f - 0x1p-23f);
  EXPECT_EQ(sum_of({0x1p100f, 1.0f, -0x1p100f}, N), 1.0f);                // cancellation is exact
  EXPECT_EQ(sum_of({kMax, 0x1p103f}, N), kInf);                           // overflow (tie at 2^128)
  EXPECT_EQ(sum_of({kMax, 0x1p102f}, N), kMax);                           // below the tie
  EXPECT_EQ(sum_of({kMax, kMax}, Z), kMax);                               // RZ overflow saturates
  EXPECT_EQ(sum_of({-kMax, -kMax}, Z), -kMax);
  EXPECT_TRUE(std::signbit(sum_of({1.0f, -1.0f}, N)) == false);           // exact zero is +0
  EXPECT_TRUE(std::signbit(sum_of({-0.0f}, N)) == false);
  // Subnormal results: 2^-150 is a tie between 0 and 2^-149.
  ExactSum e;
  e.add_product(0x1p-75f, 0x1p-75f);
  EXPECT_EQ(e.round(N), 0.0f);
  e.add_product(0x1p-100f, 0x1p-100f);
  EXPECT_EQ(e.round(N), 0x1p-149f);
  EXPECT_EQ(e.round(Z), 0.0f);
  // Products far below the fp32 range still count: 2^-298 (smallest product of subnormals).
  ExactSum f;
  f.add_product(0x1p-149f, 0x1p-149f);
  f.add(0x1p-149f);
  EXPECT_EQ(f.round(Z), 0x1p-149f);
  EXPECT_EQ(f.round(N), 0x1p-149f);
}

TEST(MatmulExactSum, NonFinite) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ExactSum a;
  a.add_product(kInf, 0.0f);
  EXPECT_TRUE(std::isnan(a.round(RoundTo::kNearestEven)));
  ExactSum b;
  b.add_product(kInf, 2.0f);
  b.add(1.0f);
  EXPECT_EQ(b.round(RoundTo::kNearestEven), kInf);
  EXPECT_EQ(b.round(RoundTo::kTowardZero), kInf);
  b.add_product(kInf, -2.0f);
  EXPECT_TRUE(std::isnan(b.round(RoundTo::kNearestEven)));
  ExactSum c;
  c.add_product(-kInf, 3.0f);
  EXPECT_EQ(c.round(RoundTo::kNearestEven), -kInf);
  c.add(nan);
  EXPECT_TRUE(std::isnan(c.round(RoundTo::kNearestEven)));
}

// Independent check: terms m·2^e with e in a 40-bit window; the exact sum is an
// __int128 multiple of 2^e0, which the compiler's int128 -> float conversion
// rounds to nearest even.
TEST(MatmulExactSum, RandomAgainstInt128) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    const int e0 = static_cast<int>(rng() % 120) - 60;
    const int n = 1 + static_cast<int>(rng() % 40);
    __int128 exact = 0;
    ExactSum e;
    for (int i = 0; i < n; ++i) {
      const int64_t m = static_cast<int64_t>(rng() % (1u << 24)) * ((rng() & 1) ? -1 : 1);
      const int sh = static_cast<int>(rng() % 40);
      exact += static_cast<__int128>(m) << sh;
      e.add(std::ldexp(static_cast<float>(m), e0 + sh));  // m < 2^24: exact
    }
    const float rne = std::ldexp(static_cast<float>(exact), e0);  // exact scaling (stays normal)
    ASSERT_EQ(e.round(RoundTo::kNearestEven), rne) << trial;
    float rz = static_cast<float>(exact);
    const __int128 back = static_cast<__int128>(rz);
    if ((exact >= 0 && back > exact) || (exact < 0 && back < exact)) rz = std::nextafter(rz, 0.0f);
    ASSERT_EQ(e.round(RoundTo::kTowardZero), std::ldexp(rz, e0)) << trial;
  }
}

TEST(MatmulRules, Fp32DenseIsSixteenFmaLanesThenTree) {
  // Lane 0 sees 2^24 then 1 (2^24 + 1 rounds to 2^24), lane 1 sees -2^24.
  std::vector<float> a(32, 0.0f), w(32, 1.0f);
  a[0] = 0x1p24f;
  a[16] = 1.0f;
  a[1] = -0x1p24f;
  EXPECT_EQ(reference_dot_dense(a.data(), w.data(), 32, 64, Accumulation::kFp32), 0.0f);
  EXPECT_EQ(reference_dot_dense(a.data(), w.data(), 32, 64, Accumulation::kExact), 1.0f);
  // Each product is exact inside the FMA: (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 — with
  // lane 0 holding -1 - 2^-11 first, the FMA returns exactly 2^-24.
  std::vector<float> b(17, 0.0f), v(17, 0.0f);
  b[0] = -1.0f - 0x1p-11f;
  v[0] = 1.0f;
  b[16] = 1.0f + 0x1p-12f;
  v[16] = 1.0f + 0x1p-12f;
  EXPECT_EQ(reference_dot_dense(b.data(), v.data(), 17, 64, Accumulation::kFp32), 0x1p-24f);
  // Tree order: lanes 0 and 8 are added first: (2^24 + 1) + ... is exact order-dependent.
  std::vector<float> t(16, 0.0f), one(16, 1.0f);
  t[0] = 0x1p24f;
  t[8] = 1.0f;
  t[4] = 1.0f;
  // ((2^24 + 1) + (1 + 0)) : s0+s8 = 2^24 (tie to even), s4+s12 = 1, then 2^24 + 1 = 2^24.
  EXPECT_EQ(reference_dot_dense(t.data(), one.data(), 16, 64, Accumulation::kFp32), 0x1p24f);
  EXPECT_EQ(reference_dot_dense(t.data(), one.data(), 16, 64, Accumulation::kExact), 0x1p24f + 2.0f);
}

TEST(MatmulRules, PackedFp32RoundsEachBlockThenAddsInOrder) {
  // Block 0 (4 values): exact sum 1 + 2^-30 rounds to 1. Block 1: 2^-24 + 2^-24 = 2^-23.
  std::vector<float> a = {1.0f, 0x1p-30f, 0, 0, 0x1p-24f, 0x1p-24f, 0, 0};
  std::vector<float> b(8, 1.0f);
  EXPECT_EQ(reference_dot_packed(a.data(), b.data(), 8, 4, Accumulation::kFp32), 1.0f + 0x1p-23f);
  // Element-by-element fp32 would give 1 (each 2^-24 is a tie to even):
  EXPECT_EQ(reference_dot_packed(a.data(), b.data(), 8, 8, Accumulation::kFp32), 1.0f + 0x1p-23f);
  std::vector<float> c = {1.0f, 0x1p-24f, 0, 0, 0x1p-24f, 0, 0, 0};
  EXPECT_EQ(reference_dot_packed(c.data(), b.data(), 8, 4, Accumulation::kFp32), 1.0f);  // two ties to even
  EXPECT_EQ(reference_dot_packed(c.data(), b.data(), 8, 8, Accumulation::kFp32), 1.0f + 0x1p-23f);
  EXPECT_EQ(reference_dot_packed(c.data(), b.data(), 8, 4, Accumulation::kExact), 1.0f + 0x1p-23f);
}

TEST(MatmulRules, TruncationOncePerBlockIncludingTheAccumulator) {
  std::vector<float> one(8, 1.0f);
  // Block 0: 1 + 2^-24 + 2^-25 truncates to 1; block 1: 1 + 2^-24 + 2^-24 = 1 + 2^-23 exactly.
  std::vector<float> a = {1.0f, 0x1p-24f, 0x1p-25f, 0, 0x1p-24f, 0x1p-24f, 0, 0};
  EXPECT_EQ(reference_dot_dense(a.data(), one.data(), 8, 4, Accumulation::kFp32Truncate), 1.0f + 0x1p-23f);
  EXPECT_EQ(reference_dot_packed(a.data(), one.data(), 8, 4, Accumulation::kFp32Truncate), 1.0f + 0x1p-23f);
  // Negative values truncate toward zero.
  std::vector<float> n = {-1.0f, -0x1p-24f, -0x1p-25f, 0};
  EXPECT_EQ(reference_dot_packed(n.data(), one.data(), 4, 4, Accumulation::kFp32Truncate), -1.0f);
  EXPECT_EQ(reference_dot_packed(n.data(), one.data(), 4, 4, Accumulation::kExact), -1.0f - 0x1p-23f);
  // Block 1 alone: 1.5·2^-24 is truncated once with the accumulator: (1 + 1.5·2^-24) -> 1.
  std::vector<float> m = {1.0f, 0, 0, 0, 0x1p-24f, 0x1p-25f, 0, 0};
  EXPECT_EQ(reference_dot_packed(m.data(), one.data(), 8, 4, Accumulation::kFp32Truncate), 1.0f);
}

// HIF4.md §8.1: the packed unit and its decoded values.
TEST(MatmulHif4Decode, SpecWorkedExample) {
  const uint8_t unit[36] = {0xC2, 0x01, 0x11, 0x00, 0xA7, 0x00, 0x33, 0x09, 0x92, 0x20, 0x80, 0x00,
                            0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  float out[64];
  hif4_reference_decode_unit(unit, out);
  std::vector<float> expected(64, 0.0f);
  expected[0] = 10.5f;
  expected[1] = -3.0f;
  expected[4] = 2.25f;
  expected[5] = 2.25f;
  expected[6] = -0.75f;
  expected[8] = 0.75f;
  expected[9] = -0.375f;
  expected[11] = 0.75f;
  expected[16] = 5.25f;
  expected[40] = -0.375f;
  for (int i = 0; i < 64; ++i) EXPECT_EQ(out[i], expected[i]) << i;
  EXPECT_TRUE(std::signbit(out[13]));  // code 0x8 = -0

  uint8_t nan_unit[36] = {0xFF};
  hif4_reference_decode_unit(nan_unit, out);
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(std::isnan(out[i]));
}

Packed random_hif4(const Shape& shape, int axis, uint64_t seed, double nan_rate = 0.0) {
  Packed p;
  p.format = parse_format("hif4");
  p.shape = shape;
  p.axis = axis;
  const int64_t k = shape[axis], lines = num_elements(shape) / std::max<int64_t>(k, 1);
  const int64_t units = lines * ((k + 63) / 64);
  p.data.resize(static_cast<size_t>(units) * 36);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  for (int64_t r = 0; r < units; ++r) {
    uint8_t* unit = p.data.data() + r * 36;
    for (int i = 0; i < 36; ++i) unit[i] = static_cast<uint8_t>(rng());
    unit[0] = static_cast<uint8_t>(0xB0 + rng() % 32);  // scales around 1 (E in -4..3)
    if (u01(rng) < nan_rate) unit[0] = 0xFF;
  }
  return p;
}

// HIF4.md §9: a unit product is an exact integer sum times S_a·S_b/16. Computed
// here from the bytes with integers only, independent of the decoders.
TEST(MatmulHif4Integer, UnitProductIsIntegerSumTimesScales) {
  const Packed a = random_hif4({1, 64}, 1, 11), b = random_hif4({64, 1}, 0, 12);
  auto ints = [](const uint8_t* u, int64_t* w) {
    const uint32_t meta = u[0] | (u[1] << 8) | (u[2] << 16) | (uint32_t{u[3]} << 24);
    for (int i = 0; i < 64; ++i) {
      const int c = (u[4 + i / 2] >> (4 * (i & 1))) & 15;
      const int sh = ((meta >> (8 + i / 8)) & 1) + ((meta >> (16 + i / 4)) & 1);
      w[i] = ((c & 8) ? -1 : 1) * ((c & 7) << sh);
    }
  };
  int64_t wa[64], wb[64];
  ints(a.data.data(), wa);
  ints(b.data.data(), wb);
  int64_t I = 0;
  for (int i = 0; i < 64; ++i) I += wa[i] * wb[i];
  auto scale = [](uint8_t c) { return std::ldexp(1.0 + (c & 3) / 4.0, (c >> 2) - 48); };
  const double expected = static_cast<double>(I) * scale(a.data[0]) * scale(b.data[0]) / 16;  // exact in double
  for (Accumulation acc : {Accumulation::kExact, Accumulation::kFp32, Accumulation::kFp32Truncate}) {
    float c = -1;
    MatmulOptions opt;
    opt.accumulation = acc;
    opt.reference = true;
    matmul(a, b, &c, opt);
    EXPECT_EQ(c, static_cast<float>(expected)) << accumulation_name(acc);
    EXPECT_EQ(static_cast<double>(c), expected);  // and it is exact in fp32
  }
}

TEST(MatmulApi, ParseAccumulation) {
  EXPECT_EQ(parse_accumulation("exact"), Accumulation::kExact);
  EXPECT_EQ(parse_accumulation("fp32"), Accumulation::kFp32);
  EXPECT_EQ(parse_accumulation("fp32_trunc"), Accumulation::kFp32Truncate);
  EXPECT_THROW(parse_accumulation("fp16"), Error);
}

TEST(MatmulApi, ClearErrors) {
  const Packed b = random_hif4({128, 8}, 0, 1);  // (K, N) blocked along K
  std::vector<float> a(3 * 100, 1.0f), c(3 * 8);
  try {
    matmul(a.data(), 3, 100, b, c.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shape mismatch"), std::string::npos) << e.what();
  }
  const Packed wrong_axis = random_hif4({8, 128}, 1, 2);  // (K=8, N=128) blocked along N
  try {
    matmul(a.data(), 3, 8, wrong_axis, c.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must run along K"), std::string::npos) << e.what();
  }
  const Packed pa = random_hif4({3, 128}, 1, 3);
  Packed h8;
  h8.format = parse_format("hif8");
  h8.shape = {128, 8};
  h8.axis = 0;
  h8.data.assign(128 * 8, 0x08);
  try {
    matmul(pa, h8, c.data());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("different formats"), std::string::npos) << e.what();
  }
  Packed truncated = b;
  truncated.data.pop_back();
  EXPECT_THROW(matmul(a.data(), 3, 128, truncated, c.data()), Error);
  Packed three_d = b;
  three_d.shape = {2, 64, 8};
  EXPECT_THROW(matmul(a.data(), 3, 128, three_d, c.data()), Error);
  EXPECT_THROW(matmul(pa, random_hif4({64, 8}, 0, 4), c.data()), Error);  // K 128 vs 64
}

// A PackedView reads bytes it does not own (here at an odd offset inside a
// larger buffer): every product equals the one on the owning Packed, and the
// byte-count check still names the mismatch.
TEST(MatmulApi, ViewOfForeignBytesEqualsPacked) {
  using testing::random_floats;
  for (const char* format : {"hif4", "hif8", "nvfp4"}) {
    const std::vector<float> x = random_floats(40 * 100, 70);
    const Packed w = encode(parse_format(format), x.data(), {40, 100}, 1);
    std::vector<uint8_t> buffer(w.data.size() + 3, 0xEE);
    std::copy(w.data.begin(), w.data.end(), buffer.begin() + 1);
    PackedView v;
    v.format = w.format;
    v.shape = w.shape;
    v.axis = w.axis;
    v.data = std::span<const uint8_t>(buffer.data() + 1, w.data.size());
    const std::vector<float> a = random_floats(9 * 100, 71);
    for (Accumulation acc : {Accumulation::kExact, Accumulation::kFp32, Accumulation::kFp32Truncate}) {
      for (const int m : {1, 9}) {
        MatmulOptions opt;
        opt.accumulation = acc;
        std::vector<float> want(static_cast<size_t>(m * 40)), got(want.size(), -7.0f);
        linear(a.data(), m, 100, w, want.data(), opt);
        linear(a.data(), m, 100, v, got.data(), opt);
        EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0) << format << " m=" << m;
      }
    }
    v.data = v.data.first(v.data.size() - 1);
    std::vector<float> c(40);
    try {
      linear(a.data(), 1, 100, v, c.data());
      FAIL() << format;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("expected " + std::to_string(w.data.size())), std::string::npos) << e.what();
    }
  }
}

TEST(MatmulApi, NaNUnitPoisonsOnlyItsOutputs) {
  Packed b = random_hif4({64, 2}, 0, 5);
  b.data[0] = 0xFF;  // column 0's unit is a NaN unit
  std::vector<float> a(64, 0.5f), c(2);
  for (Accumulation acc : {Accumulation::kExact, Accumulation::kFp32, Accumulation::kFp32Truncate}) {
    MatmulOptions opt;
    opt.accumulation = acc;
    matmul(a.data(), 1, 64, b, c.data(), opt);
    EXPECT_TRUE(std::isnan(c[0]));
    EXPECT_FALSE(std::isnan(c[1]));
  }
}

TEST(MatmulApi, InfActivations) {
  Packed b = random_hif4({64, 1}, 0, 6);
  // All elements zero except element 3 = +0.25·S (code 1, no flags).
  std::memset(b.data.data() + 1, 0, 35);
  b.data[0] = 0xC0;  // S = 1
  b.data[5] = 0x10;  // element 3 = code 1
  std::vector<float> a(64, 1.0f);
  float c = 0;
  for (Accumulation acc : {Accumulation::kExact, Accumulation::kFp32, Accumulation::kFp32Truncate}) {
    MatmulOptions opt;
    opt.accumulation = acc;
    a[3] = -kInf;
    matmul(a.data(), 1, 64, b, &c, opt);
    EXPECT_EQ(c, -kInf);
    a[3] = 1.0f;
    a[7] = kInf;  // times a zero weight
    matmul(a.data(), 1, 64, b, &c, opt);
    EXPECT_TRUE(std::isnan(c));
    a[7] = 1.0f;
  }
}

}  // namespace
}  // namespace hifloat
