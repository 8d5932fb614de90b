#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "hif8_reference.h"
#include "hifloat/hif8.h"
#include "hifloat/hif8_array.h"
#include "hifloat/philox.h"

namespace hifloat {
namespace {

float u2f(uint32_t u) { return std::bit_cast<float>(u); }

// spec/HIF8.md §1.7, positive codes 0x00..0x7F, typed in from the spec (0x6F = +Inf).
const double kSpecTable[128] = {
    0, 0x1p-22, 0x1p-21, 0x1p-20, 0x1p-19, 0x1p-18, 0x1p-17, 0x1p-16,
    1, 1.125, 1.25, 1.375, 1.5, 1.625, 1.75, 1.875,
    2, 2.25, 2.5, 2.75, 3, 3.25, 3.5, 3.75,
    0.5, 0.5625, 0.625, 0.6875, 0.75, 0.8125, 0.875, 0.9375,
    4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5,
    8, 9, 10, 11, 12, 13, 14, 15,
    0.25, 0.28125, 0.3125, 0.34375, 0.375, 0.40625, 0.4375, 0.46875,
    0.125, 0.140625, 0.15625, 0.171875, 0.1875, 0.203125, 0.21875, 0.234375,
    16, 20, 24, 28, 32, 40, 48, 56,
    64, 80, 96, 112, 128, 160, 192, 224,
    0x1p-4, 1.25 * 0x1p-4, 1.5 * 0x1p-4, 1.75 * 0x1p-4, 0x1p-5, 1.25 * 0x1p-5, 1.5 * 0x1p-5, 1.75 * 0x1p-5,
    0x1p-6, 1.25 * 0x1p-6, 1.5 * 0x1p-6, 1.75 * 0x1p-6, 0x1p-7, 1.25 * 0x1p-7, 1.5 * 0x1p-7, 1.75 * 0x1p-7,
    256, 384, 512, 768, 1024, 1536, 2048, 3072,
    4096, 6144, 8192, 12288, 16384, 24576, 32768, INFINITY,
    0x1p-8, 1.5 * 0x1p-8, 0x1p-9, 1.5 * 0x1p-9, 0x1p-10, 1.5 * 0x1p-10, 0x1p-11, 1.5 * 0x1p-11,
    0x1p-12, 1.5 * 0x1p-12, 0x1p-13, 1.5 * 0x1p-13, 0x1p-14, 1.5 * 0x1p-14, 0x1p-15, 1.5 * 0x1p-15,
};

TEST(Hif8Decode, EveryCodeMatchesTheSpecTable) {
  for (int c = 0; c < 256; ++c) {
    const float v = hif8_decode(static_cast<uint8_t>(c));
    if (c == 0x80) {
      EXPECT_TRUE(std::isnan(v));
      continue;
    }
    const double expect = (c & 0x80) ? -kSpecTable[c & 0x7F] : kSpecTable[c];
    EXPECT_EQ(static_cast<double>(v), expect) << "code 0x" << std::hex << c;
    EXPECT_FALSE(v == 0 && std::signbit(v)) << "decoder produced -0 for code " << c;
  }
}

TEST(Hif8Decode, SpotChecksOfSection3_4) {
  EXPECT_EQ(hif8_decode(0x6E), 32768.0f);
  EXPECT_EQ(hif8_decode(0xEE), -32768.0f);
  EXPECT_EQ(hif8_decode(0x6F), INFINITY);
  EXPECT_EQ(hif8_decode(0xEF), -INFINITY);
  EXPECT_EQ(hif8_decode(0x5F), 0.013671875f);
  EXPECT_EQ(hif8_decode(0x6D), 24576.0f);
  EXPECT_EQ(hif8_decode(0x33), 0.34375f);
  EXPECT_EQ(hif8_decode(0xFF), -1.5f * 0x1p-15f);
}

TEST(Hif8Encode, RoundTripsEveryCode) {
  for (int c = 0; c < 256; ++c) {
    const uint8_t code = static_cast<uint8_t>(c);
    const double v = hif8_decode(code);
    if (c == 0x80) {
      EXPECT_EQ(hif8_encode(v), 0x80);
      continue;
    }
    for (Rounding r : {Rounding::kAway, Rounding::kEven, Rounding::kZero, Rounding::kStochastic}) {
      const uint8_t got = hif8_encode(v, r, Overflow::kInf, 0xFFFFFF);
      EXPECT_EQ(got, code) << "code 0x" << std::hex << c << " rounding " << static_cast<int>(r);
    }
    // Via float16 and bfloat16 too: every HiF8 value is exact in both.
    EXPECT_EQ(hif8(float16(static_cast<float>(v))).bits(), code);
    EXPECT_EQ(hif8(bfloat16(static_cast<float>(v))).bits(), code);
  }
}

struct Row {
  uint32_t bits;
  uint8_t code;
};

// spec/HIF8.md §3.1, TA (away), non-saturating.
const Row kTaRows[] = {
    {0x00000000, 0x00}, {0x80000000, 0x00}, {0x3F800000, 0x08}, {0xBF800000, 0x88}, {0x3F880000, 0x09},
    {0x3F87FFFF, 0x08}, {0x3FE00000, 0x0E}, {0x3FF80000, 0x10}, {0x3F000000, 0x18}, {0x40200000, 0x12},
    {0xC0533333, 0x95}, {0x40800000, 0x20}, {0x40F00000, 0x27}, {0x41700000, 0x2F}, {0x41780000, 0x40},
    {0x41800000, 0x40}, {0x41900000, 0x41}, {0x3E000000, 0x38}, {0x3D800000, 0x50}, {0x3DCCCCCD, 0x52},
    {0x43000000, 0x4C}, {0x43700000, 0x60}, {0x43C00000, 0x61}, {0x447A0000, 0x64}, {0x453B8000, 0x67},
    {0x3B800000, 0x70}, {0x47000000, 0x6E}, {0x471FFFFF, 0x6E}, {0x47200000, 0x6F}, {0x47400000, 0x6F},
    {0x477FE000, 0x6F}, {0x7149F2CA, 0x6F}, {0xC7200000, 0xEF}, {0x38000000, 0x7E}, {0x38400000, 0x7F},
    {0x37800000, 0x07}, {0x37A00000, 0x07}, {0x37C00000, 0x7E}, {0x34800000, 0x01}, {0x34000000, 0x01},
    {0x33FFFFFF, 0x00}, {0x34400000, 0x01}, {0x00000001, 0x00}, {0x7F800000, 0x6F}, {0xFF800000, 0xEF},
    {0x7FC00000, 0x80}, {0xFFC00000, 0x80},
};

TEST(Hif8Encode, WorkedExamplesOfSection3_1) {
  for (const Row& r : kTaRows) {
    EXPECT_EQ(hif8(u2f(r.bits)).bits(), r.code) << "input bits 0x" << std::hex << r.bits;
  }
  // Saturating rows of the same table.
  for (uint32_t bits : {0x47200000u, 0x47400000u, 0x7F800000u}) {
    EXPECT_EQ(hif8_encode(u2f(bits), Rounding::kAway, Overflow::kSaturate), 0x6E);
  }
  EXPECT_EQ(hif8_encode(-INFINITY, Rounding::kAway, Overflow::kSaturate), 0xEE);
  EXPECT_EQ(hif8_encode(NAN, Rounding::kAway, Overflow::kSaturate), 0x80);
}

// spec/HIF8.md §3.3: CANN GE unit-test golden vectors.
TEST(Hif8Encode, CannGeGoldenVectors) {
  const Row fp32[] = {{0x3638C290, 0x04}, {0x3698AEB6, 0x05}, {0x36E515DD, 0x06}, {0x371C2FF8, 0x06},
                      {0x358B4F67, 0x03}, {0x3F48849E, 0x1D}, {0x3CFDC7CD, 0x54}, {0x3F112A2C, 0x19},
                      {0x3F655965, 0x1E}, {0x3E2040ED, 0x3A}, {0x43411383, 0x4E}, {0x438E0E21, 0x60},
                      {0x42356389, 0x46}, {0x43B308DB, 0x61}, {0x42536B25, 0x47}, {0x4686C7E7, 0x6C},
                      {0x46E1CA4A, 0x6E}, {0x453D6D1B, 0x67}, {0x462B0BBF, 0x6B}, {0x4743505E, 0x6F}};
  for (const Row& r : fp32) EXPECT_EQ(hif8(u2f(r.bits)).bits(), r.code) << std::hex << r.bits;
  const Row fp16[] = {{0x0005, 0x01}, {0x0008, 0x02}, {0x002C, 0x04}, {0x0033, 0x05}, {0x008D, 0x06},
                      {0x289B, 0x55}, {0x3716, 0x36}, {0x2E79, 0x52}, {0x3B69, 0x1F}, {0x38FC, 0x1A},
                      {0x67DF, 0x66}, {0x64F3, 0x64}, {0x658D, 0x65}, {0x6070, 0x62}, {0x691F, 0x67},
                      {0x7871, 0x6E}, {0x77AE, 0x6E}, {0x746E, 0x6C}, {0x711B, 0x6B}, {0x79EA, 0x6F}};
  for (const Row& r : fp16) {
    EXPECT_EQ(hif8(float16::from_bits(static_cast<uint16_t>(r.bits))).bits(), r.code) << std::hex << r.bits;
  }
}

TEST(Hif8Encode, OtherRoundingModesAtBoundaries) {
  // Ties: 1.0625 lies between 1 (0x08) and 1.125 (0x09).
  EXPECT_EQ(hif8_encode(1.0625, Rounding::kEven), 0x08);
  EXPECT_EQ(hif8_encode(1.1875, Rounding::kEven), 0x0A);  // between 0x09 and 0x0A
  EXPECT_EQ(hif8_encode(0x1p-23, Rounding::kEven), 0x00);  // 0 (0x00) vs 2^-22 (0x01)
  EXPECT_EQ(hif8_encode(40960.0, Rounding::kEven), 0x6E);  // 0x6E vs the Inf pattern 0x6F
  EXPECT_EQ(hif8_encode(40960.5, Rounding::kEven), 0x6F);
  EXPECT_EQ(hif8_encode(40960.5, Rounding::kEven, Overflow::kSaturate), 0x6E);
  // Toward zero.
  EXPECT_EQ(hif8_encode(1.9999, Rounding::kZero), 0x0F);
  EXPECT_EQ(hif8_encode(-1.9999, Rounding::kZero), 0x8F);
  EXPECT_EQ(hif8_encode(1e30, Rounding::kZero), 0x6E);
  EXPECT_EQ(hif8_encode(INFINITY, Rounding::kZero), 0x6F);
  EXPECT_EQ(hif8_encode(INFINITY, Rounding::kZero, Overflow::kSaturate), 0x6E);
  EXPECT_EQ(hif8_encode(0x1.fp-23, Rounding::kZero), 0x00);
  // float64 inputs round directly: 1.0625 + 2^-40 is above the tie in double but
  // would round to the tie (and then to 0x09 or 0x08) through float32.
  EXPECT_EQ(hif8_encode(1.0625 + 0x1p-40, Rounding::kEven), 0x09);
  EXPECT_EQ(hif8_encode(1.0625 - 0x1p-40, Rounding::kAway), 0x08);
}

TEST(Hif8Encode, HalfAndBfloat16ExhaustiveAgainstReference) {
  const testing::Hif8Reference ref;
  for (uint32_t b = 0; b < 65536; ++b) {
    const float16 h = float16::from_bits(static_cast<uint16_t>(b));
    const bfloat16 bf = bfloat16::from_bits(static_cast<uint16_t>(b));
    const double xh = static_cast<float>(h), xb = static_cast<float>(bf);
    for (Rounding r : {Rounding::kAway, Rounding::kEven, Rounding::kZero}) {
      for (Overflow o : {Overflow::kInf, Overflow::kSaturate}) {
        ASSERT_EQ(hif8_encode(xh, r, o), ref.encode(xh, r, o)) << "half 0x" << std::hex << b;
        ASSERT_EQ(hif8_encode(xb, r, o), ref.encode(xb, r, o)) << "bf16 0x" << std::hex << b;
      }
    }
    // The array API on 16-bit inputs agrees with the scalar encoder.
    uint8_t ch = 0, cb = 0;
    hif8_encode(std::span<const float16>(&h, 1), std::span<uint8_t>(&ch, 1));
    hif8_encode(std::span<const bfloat16>(&bf, 1), std::span<uint8_t>(&cb, 1));
    ASSERT_EQ(ch, ref.encode(xh, Rounding::kAway, Overflow::kInf));
    ASSERT_EQ(cb, ref.encode(xb, Rounding::kAway, Overflow::kInf));
  }
}

TEST(Hif8Encode, StochasticAgreesWithReferenceOnRandomDraws) {
  const testing::Hif8Reference ref;
  uint64_t state = 12345;
  for (int i = 0; i < 2000000; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const uint32_t bits = static_cast<uint32_t>(state >> 32);
    const uint32_t draw = static_cast<uint32_t>(state >> 8) & 0xFFFFFF;
    const double x = u2f(bits);
    for (Overflow o : {Overflow::kInf, Overflow::kSaturate}) {
      ASSERT_EQ(hif8_encode(x, Rounding::kStochastic, o, draw), ref.encode(x, Rounding::kStochastic, o, draw))
          << std::hex << bits << " draw " << draw;
    }
  }
}

// Unbiased in expectation: the mean of many stochastic roundings of x is x.
// Each case has N draws; the mean's standard error is (hi-lo)*sqrt(p(1-p)/N);
// the bound is 6 standard errors. Rounding up with probability 1-p, or
// rounding to nearest, misses it by hundreds of standard errors.
TEST(Hif8Stochastic, UnbiasedAndAlwaysANeighbour) {
  const double cases[] = {1.03, 1.0625, 1.1, -3.3, 0.1, 17.0, 300.0, 30000.0, 1.3e-6, 3e-7, 0x1.8p-16, 1e-7};
  const int N = 200000;
  const Hif8Options opt{Rounding::kStochastic, Overflow::kInf, 7};
  for (double x : cases) {
    const uint8_t lo_code = hif8_encode(x, Rounding::kZero);
    const double lo = hif8_decode(lo_code);
    double sum = 0, hi = 0;
    for (int n = 0; n < N; ++n) {
      const uint8_t c = hif8_encode(x, opt, static_cast<uint64_t>(n));
      const double v = hif8_decode(c);
      if (v != lo) {
        if (hi == 0) hi = v;
        ASSERT_EQ(v, hi) << "x=" << x << ": more than two distinct results";
      }
      sum += v;
    }
    ASSERT_NE(hi, 0.0) << "x=" << x << " never rounded up";
    ASSERT_LT(std::fabs(lo), std::fabs(x));
    ASSERT_GT(std::fabs(hi), std::fabs(x));
    const double p = (x - lo) / (hi - lo);
    const double se = std::fabs(hi - lo) * std::sqrt(p * (1 - p) / N);
    EXPECT_NEAR(sum / N, x, 6 * se) << "x=" << x;
  }
}

TEST(Hif8Stochastic, ReproducibleAndSplitInvariant) {
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(i * 0.37) * 100);
  const Hif8Options opt{Rounding::kStochastic, Overflow::kInf, 99};
  std::vector<uint8_t> whole(x.size()), parts(x.size());
  hif8_encode(std::span<const float>(x), whole, opt);
  hif8_encode(std::span<const float>(x).subspan(0, 333), std::span<uint8_t>(parts).subspan(0, 333), opt, 0);
  hif8_encode(std::span<const float>(x).subspan(333), std::span<uint8_t>(parts).subspan(333), opt, 333);
  EXPECT_EQ(whole, parts);
  std::vector<uint8_t> other(x.size());
  hif8_encode(std::span<const float>(x), other, Hif8Options{Rounding::kStochastic, Overflow::kInf, 100});
  EXPECT_NE(whole, other);
}

TEST(Philox, KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, 0, 0), (Philox4x32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff),
            (Philox4x32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0),
            (Philox4x32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  const uint32_t seed42[] = {0x9ceaf0, 0x77f549, 0x12bf50, 0x5742b3, 0xfcdb21, 0x53ba6c, 0x838f5a, 0x744e06};
  for (uint64_t n = 0; n < 8; ++n) EXPECT_EQ(stochastic_draw24(42, n), seed42[n]) << n;
}

TEST(Hif8Type, NumericLimits) {
  using L = std::numeric_limits<hif8>;
  static_assert(L::is_specialized && L::has_infinity && L::has_quiet_NaN);
  EXPECT_EQ(static_cast<float>(L::max()), 32768.0f);
  EXPECT_EQ(static_cast<float>(L::lowest()), -32768.0f);
  EXPECT_EQ(static_cast<float>(L::min()), 0x1p-15f);
  EXPECT_EQ(static_cast<float>(L::denorm_min()), 0x1p-22f);
  EXPECT_EQ(static_cast<float>(L::epsilon()), 0.125f);
  EXPECT_EQ(static_cast<float>(L::round_error()), 0.5f);
  EXPECT_EQ(static_cast<float>(L::infinity()), INFINITY);
  EXPECT_TRUE(std::isnan(static_cast<float>(L::quiet_NaN())));
  // epsilon is the distance from 1 to the next larger value.
  EXPECT_EQ(static_cast<float>(hif8::from_bits(0x09)) - 1.0f, static_cast<float>(L::epsilon()));
  EXPECT_EQ(std::ldexp(1.0, L::min_exponent - 1), static_cast<double>(L::min()));
  EXPECT_EQ(std::ldexp(1.0, L::max_exponent - 1), static_cast<double>(L::max()));
}

TEST(Hif8Type, ComparisonsAndNegation) {
  const hif8 nan = hif8::from_bits(0x80), zero = hif8::from_bits(0x00);
  EXPECT_FALSE(nan == nan);
  EXPECT_TRUE(nan != nan);
  EXPECT_FALSE(nan < zero || nan > zero || nan <= zero || nan >= zero);
  EXPECT_EQ(-zero, zero);
  EXPECT_EQ((-zero).bits(), 0x00);  // not NaN
  EXPECT_EQ((-nan).bits(), 0x80);
  EXPECT_EQ((-hif8(2.0f)).bits(), 0x90);
  EXPECT_TRUE(hif8(0.125f) < hif8(0.25f));  // 0x38 < 0x30 by value, not by bits
  EXPECT_TRUE(hif8::from_bits(0x10) > hif8::from_bits(0x18));
  EXPECT_TRUE(hif8(-1.0f) < hif8(0.5f));
  EXPECT_TRUE(hif8::from_bits(0xEF) < hif8::from_bits(0xEE));
  // Every pair compares like the decoded floats.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const hif8 x = hif8::from_bits(static_cast<uint8_t>(a)), y = hif8::from_bits(static_cast<uint8_t>(b));
      const float fx = hif8_decode(static_cast<uint8_t>(a)), fy = hif8_decode(static_cast<uint8_t>(b));
      ASSERT_EQ(x < y, fx < fy);
      ASSERT_EQ(x == y, fx == fy);
    }
  }
  constexpr hif8 one(1.0f);  // constexpr construction
  static_assert(one.bits() == 0x08);
  static_assert(hif8::from_bits(0x6E).isfinite() && hif8::from_bits(0x6F).isinf());
}

TEST(Hif8Type, ConversionsOutAreExact) {
  for (int c = 0; c < 256; ++c) {
    if (c == 0x80) continue;
    const hif8 h = hif8::from_bits(static_cast<uint8_t>(c));
    const float f = static_cast<float>(h);
    EXPECT_EQ(static_cast<double>(h), static_cast<double>(f));
    EXPECT_EQ(static_cast<float>(static_cast<float16>(h)), f);
    EXPECT_EQ(static_cast<float>(static_cast<bfloat16>(h)), f);
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(static_cast<float16>(hif8::from_bits(0x80)))));
}

TEST(Ieee16, HalfRoundTripsAndRounding) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = half_bits_to_float(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half_bits(f), b) << std::hex << b;
    ASSERT_EQ(float_to_bfloat16_bits(bfloat16_bits_to_float(static_cast<uint16_t>(b))), b);
  }
  EXPECT_EQ(float_to_half_bits(65520.0f), 0x7C00);
  EXPECT_EQ(float_to_half_bits(65519.996f), 0x7BFF);
  EXPECT_EQ(float_to_half_bits(0x1p-25f), 0x0000);          // tie to even (0)
  EXPECT_EQ(float_to_half_bits(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(float_to_half_bits(0x1.8p-24f), 0x0002);        // tie 1.5 ulp -> 2
  EXPECT_EQ(float_to_half_bits(1.0f + 0x1p-11f), 0x3C00);   // tie to even
  EXPECT_EQ(float_to_half_bits(1.0f + 0x1.8p-10f), 0x3C02);
  EXPECT_EQ(float_to_bfloat16_bits(1.0f + 0x1p-8f), 0x3F80);
}

}  // namespace
}  // namespace hifloat
