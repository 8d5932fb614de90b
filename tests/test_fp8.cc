// fp8_e4m3 and fp8_e5m2 (spec/BASELINES.md §5, §6): every code's value against
// the spec's formula, the spec's examples, round trips, every float16 and
// bfloat16 input against the independent reference of fp8_reference.h, the
// value types, the array API and the tensor codecs.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "fp8_reference.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/fp8.h"
#include "hifloat/fp8_array.h"

namespace hifloat {
namespace {

using testing::Fp8Reference;
using testing::kE4M3Params;
using testing::kE5M2Params;

// Equal as float32 bit patterns, except that any NaN equals any NaN with the same sign.
void expect_same(float got, double want, const char* what, int code) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << " code 0x" << std::hex << code;
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << what << " NaN sign, code 0x" << std::hex << code;
    return;
  }
  EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(static_cast<float>(want)))
      << what << " code 0x" << std::hex << code << ": got " << got << ", want " << want;
}

TEST(Fp8Decode, EveryCodeMatchesTheFormula) {
  for (int c = 0; c < 256; ++c) {
    expect_same(fp8_e4m3_decode(static_cast<uint8_t>(c)), testing::fp8_value(kE4M3Params, c), "e4m3", c);
    expect_same(fp8_e5m2_decode(static_cast<uint8_t>(c)), testing::fp8_value(kE5M2Params, c), "e5m2", c);
  }
}

TEST(Fp8Decode, SpotChecksOfSection1) {
  EXPECT_EQ(fp8_e4m3_decode(0x7E), 448.0f);
  EXPECT_EQ(fp8_e4m3_decode(0x08), 0x1p-6f);
  EXPECT_EQ(fp8_e4m3_decode(0x01), 0x1p-9f);
  EXPECT_TRUE(std::isnan(fp8_e4m3_decode(0x7F)));
  EXPECT_TRUE(std::isnan(fp8_e4m3_decode(0xFF)));
  EXPECT_EQ(std::bit_cast<uint32_t>(fp8_e4m3_decode(0x80)), 0x80000000u);  // -0
  EXPECT_EQ(fp8_e5m2_decode(0x7B), 57344.0f);
  EXPECT_EQ(fp8_e5m2_decode(0x04), 0x1p-14f);
  EXPECT_EQ(fp8_e5m2_decode(0x01), 0x1p-16f);
  EXPECT_EQ(fp8_e5m2_decode(0x7C), INFINITY);
  EXPECT_EQ(fp8_e5m2_decode(0xFC), -INFINITY);
  for (int c : {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF}) EXPECT_TRUE(std::isnan(fp8_e5m2_decode(static_cast<uint8_t>(c))));
  EXPECT_EQ(std::bit_cast<uint32_t>(fp8_e5m2_decode(0x80)), 0x80000000u);
}

TEST(Fp8Encode, ExamplesOfSection5) {
  EXPECT_EQ(fp8_e4m3_encode(4.25), 0x48);
  EXPECT_EQ(fp8_e4m3_encode(4.75), 0x4A);
  EXPECT_EQ(fp8_e4m3_encode(0x1p-10), 0x00);
  EXPECT_EQ(fp8_e4m3_encode(1.5 * 0x1p-10), 0x01);
  EXPECT_EQ(fp8_e4m3_encode(1.0), 0x38);
  EXPECT_EQ(fp8_e4m3_encode(-3.1), 0xC4);
  EXPECT_EQ(fp8_e4m3_encode(447.9), 0x7E);
  EXPECT_EQ(fp8_e4m3_encode(500.0), 0x7E);
  EXPECT_EQ(fp8_e4m3_encode(-INFINITY), 0xFE);
  EXPECT_EQ(fp8_e4m3_encode(INFINITY), 0x7E);
  EXPECT_EQ(fp8_e4m3_encode(464.0, E4M3Overflow::kNaN), 0x7E);
  EXPECT_EQ(fp8_e4m3_encode(static_cast<double>(464.1f), E4M3Overflow::kNaN), 0x7F);
  EXPECT_EQ(fp8_e4m3_encode(-464.1, E4M3Overflow::kNaN), 0xFF);
  EXPECT_EQ(fp8_e4m3_encode(-INFINITY, E4M3Overflow::kNaN), 0xFF);
  EXPECT_EQ(fp8_e4m3_encode(1e30, E4M3Overflow::kSaturate), 0x7E);
  // NaN keeps its sign bit; zero keeps its sign; small negatives become -0.
  EXPECT_EQ(fp8_e4m3_encode(std::numeric_limits<double>::quiet_NaN()), 0x7F);
  EXPECT_EQ(fp8_e4m3_encode(-std::numeric_limits<double>::quiet_NaN()), 0xFF);
  EXPECT_EQ(fp8_e4m3_encode(-std::numeric_limits<double>::quiet_NaN(), E4M3Overflow::kNaN), 0xFF);
  EXPECT_EQ(fp8_e4m3_encode(0.0), 0x00);
  EXPECT_EQ(fp8_e4m3_encode(-0.0), 0x80);
  EXPECT_EQ(fp8_e4m3_encode(-1e-30), 0x80);
  EXPECT_EQ(fp8_e4m3_encode(-0x1p-10), 0x80);
  EXPECT_EQ(fp8_e4m3_encode(0x1p-10 + 0x1p-40), 0x01);
}

TEST(Fp8Encode, ExamplesOfSection6) {
  EXPECT_EQ(fp8_e5m2_encode(1.125), 0x3C);
  EXPECT_EQ(fp8_e5m2_encode(1.375), 0x3E);
  EXPECT_EQ(fp8_e5m2_encode(1.5 * 0x1p-16), 0x02);
  EXPECT_EQ(fp8_e5m2_encode(57344.0), 0x7B);
  EXPECT_EQ(fp8_e5m2_encode(61439.0), 0x7B);
  EXPECT_EQ(fp8_e5m2_encode(61440.0), 0x7C);
  EXPECT_EQ(fp8_e5m2_encode(61440.0, E5M2Overflow::kSaturate), 0x7B);
  EXPECT_EQ(fp8_e5m2_encode(70000.0), 0x7C);
  EXPECT_EQ(fp8_e5m2_encode(70000.0, E5M2Overflow::kSaturate), 0x7B);
  EXPECT_EQ(fp8_e5m2_encode(-70000.0, E5M2Overflow::kSaturate), 0xFB);
  EXPECT_EQ(fp8_e5m2_encode(INFINITY), 0x7C);
  EXPECT_EQ(fp8_e5m2_encode(-INFINITY), 0xFC);
  EXPECT_EQ(fp8_e5m2_encode(-INFINITY, E5M2Overflow::kSaturate), 0xFB);
  EXPECT_EQ(fp8_e5m2_encode(std::numeric_limits<double>::quiet_NaN()), 0x7E);
  EXPECT_EQ(fp8_e5m2_encode(-std::numeric_limits<double>::quiet_NaN()), 0xFE);
  EXPECT_EQ(fp8_e5m2_encode(-std::numeric_limits<double>::quiet_NaN(), E5M2Overflow::kSaturate), 0xFE);
  EXPECT_EQ(fp8_e5m2_encode(-0.0), 0x80);
  EXPECT_EQ(fp8_e5m2_encode(0x1p-17), 0x00);  // the tie between 0 and 2^-16 goes to 0
  EXPECT_EQ(fp8_e5m2_encode(-0x1p-17 * 1.0000001), 0x81);
}

TEST(Fp8Encode, RoundTripsEveryCode) {
  for (int c = 0; c < 256; ++c) {
    const uint8_t code = static_cast<uint8_t>(c);
    const double v4 = fp8_e4m3_decode(code);
    if (!std::isnan(v4)) {
      EXPECT_EQ(fp8_e4m3_encode(v4, E4M3Overflow::kSaturate), code) << std::hex << c;
      EXPECT_EQ(fp8_e4m3_encode(v4, E4M3Overflow::kNaN), code) << std::hex << c;
      EXPECT_EQ(fp8_e4m3(float16(static_cast<float>(v4))).bits(), code);
      EXPECT_EQ(fp8_e4m3(bfloat16(static_cast<float>(v4))).bits(), code);
    }
    const double v5 = fp8_e5m2_decode(code);
    if (!std::isnan(v5)) {
      EXPECT_EQ(fp8_e5m2_encode(v5, E5M2Overflow::kInf), code) << std::hex << c;
      if (!std::isinf(v5)) {
        EXPECT_EQ(fp8_e5m2_encode(v5, E5M2Overflow::kSaturate), code) << std::hex << c;
      }
      EXPECT_EQ(fp8_e5m2(float16(static_cast<float>(v5))).bits(), code);
      EXPECT_EQ(fp8_e5m2(bfloat16(static_cast<float>(v5))).bits(), code);
    }
  }
}

// Midpoints between neighbouring codes and one double ulp either side, against
// the reference: the places where a rounding bug shows.
TEST(Fp8Encode, MidpointsAgainstReference) {
  const Fp8Reference r4(kE4M3Params), r5(kE5M2Params);
  for (int c = 0; c < 0x7F; ++c) {
    for (int dec : {0, 1}) {  // 0: E4M3, 1: E5M2
      const double lo = dec == 0 ? fp8_e4m3_decode(static_cast<uint8_t>(c)) : fp8_e5m2_decode(static_cast<uint8_t>(c));
      const double hi = dec == 0 ? fp8_e4m3_decode(static_cast<uint8_t>(c + 1))
                                 : fp8_e5m2_decode(static_cast<uint8_t>(c + 1));
      if (!std::isfinite(hi)) continue;
      const double mid = (lo + hi) / 2;
      for (double x : {mid, std::nextafter(mid, 0.0), std::nextafter(mid, INFINITY), -mid}) {
        if (dec == 0) {
          ASSERT_EQ(fp8_e4m3_encode(x), testing::ref_e4m3(r4, x, false)) << x;
          ASSERT_EQ(fp8_e4m3_encode(x, E4M3Overflow::kNaN), testing::ref_e4m3(r4, x, true)) << x;
        } else {
          ASSERT_EQ(fp8_e5m2_encode(x), testing::ref_e5m2(r5, x, false)) << x;
          ASSERT_EQ(fp8_e5m2_encode(x, E5M2Overflow::kSaturate), testing::ref_e5m2(r5, x, true)) << x;
        }
      }
    }
  }
  // Above the top codes: 448..480 (E4M3), 57344..65536 and beyond (E5M2).
  for (double x : {448.0, 463.99, 464.0, 464.0001, 479.0, 480.0, 496.0, 1e6, 1e300, 0x1p-1074, 0x1p-1022}) {
    for (double s : {x, -x}) {
      ASSERT_EQ(fp8_e4m3_encode(s), testing::ref_e4m3(r4, s, false)) << s;
      ASSERT_EQ(fp8_e4m3_encode(s, E4M3Overflow::kNaN), testing::ref_e4m3(r4, s, true)) << s;
    }
  }
  for (double x : {57344.0, 61439.99, 61440.0, 65535.0, 65536.0, 131072.0, 1e300, 0x1p-1074}) {
    for (double s : {x, -x}) {
      ASSERT_EQ(fp8_e5m2_encode(s), testing::ref_e5m2(r5, s, false)) << s;
      ASSERT_EQ(fp8_e5m2_encode(s, E5M2Overflow::kSaturate), testing::ref_e5m2(r5, s, true)) << s;
    }
  }
}

TEST(Fp8Encode, HalfAndBfloat16ExhaustiveAgainstReference) {
  const Fp8Reference r4(kE4M3Params), r5(kE5M2Params);
  std::vector<float16> halves(65536);
  std::vector<bfloat16> bhalves(65536);
  for (uint32_t b = 0; b < 65536; ++b) {
    halves[b] = float16::from_bits(static_cast<uint16_t>(b));
    bhalves[b] = bfloat16::from_bits(static_cast<uint16_t>(b));
  }
  std::vector<uint8_t> out(65536);
  std::vector<float16> fq_h(65536);
  std::vector<bfloat16> fq_b(65536);
  for (int opt = 0; opt < 2; ++opt) {
    const auto o4 = opt ? E4M3Overflow::kNaN : E4M3Overflow::kSaturate;
    const auto o5 = opt ? E5M2Overflow::kSaturate : E5M2Overflow::kInf;
    // Scalar encoder against the reference.
    for (uint32_t b = 0; b < 65536; ++b) {
      const double xh = static_cast<float>(halves[b]), xb = static_cast<float>(bhalves[b]);
      ASSERT_EQ(fp8_e4m3_encode(xh, o4), testing::ref_e4m3(r4, xh, opt)) << "half 0x" << std::hex << b;
      ASSERT_EQ(fp8_e4m3_encode(xb, o4), testing::ref_e4m3(r4, xb, opt)) << "bf16 0x" << std::hex << b;
      ASSERT_EQ(fp8_e5m2_encode(xh, o5), testing::ref_e5m2(r5, xh, opt)) << "half 0x" << std::hex << b;
      ASSERT_EQ(fp8_e5m2_encode(xb, o5), testing::ref_e5m2(r5, xb, opt)) << "bf16 0x" << std::hex << b;
    }
    // Array API on 16-bit inputs, and fake-quant in the input's type.
    fp8_e4m3_encode(std::span<const float16>(halves), out, o4);
    fp8_e4m3_fake_quant(std::span<const float16>(halves), fq_h, o4);
    for (uint32_t b = 0; b < 65536; ++b) {
      const double x = static_cast<float>(halves[b]);
      ASSERT_EQ(out[b], testing::ref_e4m3(r4, x, opt)) << std::hex << b;
      ASSERT_EQ(fq_h[b].bits, float16(fp8_e4m3_decode(out[b])).bits) << std::hex << b;
    }
    fp8_e4m3_encode(std::span<const bfloat16>(bhalves), out, o4);
    fp8_e4m3_fake_quant(std::span<const bfloat16>(bhalves), fq_b, o4);
    for (uint32_t b = 0; b < 65536; ++b) {
      ASSERT_EQ(out[b], testing::ref_e4m3(r4, static_cast<float>(bhalves[b]), opt)) << std::hex << b;
      ASSERT_EQ(fq_b[b].bits, bfloat16(fp8_e4m3_decode(out[b])).bits) << std::hex << b;
    }
    fp8_e5m2_encode(std::span<const float16>(halves), out, o5);
    fp8_e5m2_fake_quant(std::span<const float16>(halves), fq_h, o5);
    for (uint32_t b = 0; b < 65536; ++b) {
      ASSERT_EQ(out[b], testing::ref_e5m2(r5, static_cast<float>(halves[b]), opt)) << std::hex << b;
      ASSERT_EQ(fq_h[b].bits, float16(fp8_e5m2_decode(out[b])).bits) << std::hex << b;
    }
    fp8_e5m2_encode(std::span<const bfloat16>(bhalves), out, o5);
    fp8_e5m2_fake_quant(std::span<const bfloat16>(bhalves), fq_b, o5);
    for (uint32_t b = 0; b < 65536; ++b) {
      ASSERT_EQ(out[b], testing::ref_e5m2(r5, static_cast<float>(bhalves[b]), opt)) << std::hex << b;
      ASSERT_EQ(fq_b[b].bits, bfloat16(fp8_e5m2_decode(out[b])).bits) << std::hex << b;
    }
  }
}

TEST(Fp8Array, DecodeIsExactInEveryOutputType) {
  std::vector<uint8_t> codes(256);
  for (int c = 0; c < 256; ++c) codes[c] = static_cast<uint8_t>(c);
  std::vector<float> f(256);
  std::vector<float16> h(256);
  std::vector<bfloat16> b(256);
  fp8_e4m3_decode(codes, std::span<float>(f));
  fp8_e4m3_decode(codes, std::span<float16>(h));
  fp8_e4m3_decode(codes, std::span<bfloat16>(b));
  for (int c = 0; c < 256; ++c) {
    expect_same(f[c], testing::fp8_value(kE4M3Params, c), "e4m3 f32", c);
    expect_same(static_cast<float>(h[c]), testing::fp8_value(kE4M3Params, c), "e4m3 f16", c);
    expect_same(static_cast<float>(b[c]), testing::fp8_value(kE4M3Params, c), "e4m3 bf16", c);
  }
  fp8_e5m2_decode(codes, std::span<float>(f));
  fp8_e5m2_decode(codes, std::span<float16>(h));
  fp8_e5m2_decode(codes, std::span<bfloat16>(b));
  for (int c = 0; c < 256; ++c) {
    expect_same(f[c], testing::fp8_value(kE5M2Params, c), "e5m2 f32", c);
    expect_same(static_cast<float>(h[c]), testing::fp8_value(kE5M2Params, c), "e5m2 f16", c);
    expect_same(static_cast<float>(b[c]), testing::fp8_value(kE5M2Params, c), "e5m2 bf16", c);
  }
}

TEST(Fp8Array, SizeMismatchThrows) {
  std::vector<float> in(3);
  std::vector<uint8_t> out(2);
  std::vector<float> back(4);
  EXPECT_THROW(fp8_e4m3_encode(std::span<const float>(in), out), Error);
  EXPECT_THROW(fp8_e5m2_encode(std::span<const float>(in), out), Error);
  EXPECT_THROW(fp8_e4m3_decode(out, std::span<float>(back)), Error);
  EXPECT_THROW(fp8_e5m2_fake_quant(std::span<const float>(in), std::span<float>(back)), Error);
}

TEST(Fp8Type, ConstexprAndLimits) {
  static_assert(fp8_e4m3_encode(448.0) == 0x7E);
  static_assert(fp8_e5m2_encode(61440.0) == 0x7C);
  static_assert(fp8_e4m3_decode(0x38) == 1.0f);
  static_assert(fp8_e4m3(1.0f).bits() == 0x38);
  static_assert(fp8_e5m2(1.0f).bits() == 0x3C);
  using L4 = std::numeric_limits<fp8_e4m3>;
  using L5 = std::numeric_limits<fp8_e5m2>;
  EXPECT_EQ(static_cast<float>(L4::max()), 448.0f);
  EXPECT_EQ(static_cast<float>(L4::lowest()), -448.0f);
  EXPECT_EQ(static_cast<float>(L4::min()), 0x1p-6f);
  EXPECT_EQ(static_cast<float>(L4::denorm_min()), 0x1p-9f);
  EXPECT_EQ(static_cast<float>(L4::epsilon()), 0.125f);  // next after 1 is 1.125
  EXPECT_TRUE(L4::quiet_NaN().isnan());
  EXPECT_FALSE(L4::has_infinity);
  EXPECT_EQ(static_cast<float>(L5::max()), 57344.0f);
  EXPECT_EQ(static_cast<float>(L5::lowest()), -57344.0f);
  EXPECT_EQ(static_cast<float>(L5::min()), 0x1p-14f);
  EXPECT_EQ(static_cast<float>(L5::denorm_min()), 0x1p-16f);
  EXPECT_EQ(static_cast<float>(L5::epsilon()), 0.25f);
  EXPECT_TRUE(L5::infinity().isinf());
  EXPECT_TRUE(L5::quiet_NaN().isnan());
  EXPECT_TRUE(L5::signaling_NaN().isnan());
  // min normal = 2^(min_exponent - 1), max < 2^max_exponent.
  EXPECT_EQ(static_cast<float>(L4::min()), std::ldexp(1.0f, L4::min_exponent - 1));
  EXPECT_LT(static_cast<float>(L4::max()), std::ldexp(1.0f, L4::max_exponent));
  EXPECT_GE(static_cast<float>(L4::max()), std::ldexp(1.0f, L4::max_exponent - 1));
  EXPECT_EQ(static_cast<float>(L5::min()), std::ldexp(1.0f, L5::min_exponent - 1));
  EXPECT_LT(static_cast<float>(L5::max()), std::ldexp(1.0f, L5::max_exponent));
  EXPECT_GE(static_cast<float>(L5::max()), std::ldexp(1.0f, L5::max_exponent - 1));
}

TEST(Fp8Type, ComparisonsAndNegation) {
  const fp8_e4m3 one(1.0f), two(2.0), pz = fp8_e4m3::from_bits(0x00), nz = fp8_e4m3::from_bits(0x80);
  EXPECT_TRUE(one < two);
  EXPECT_TRUE(-two < -one);
  EXPECT_EQ((-one).bits(), 0xB8);
  EXPECT_TRUE(pz == nz);  // -0 == +0
  EXPECT_EQ((-pz).bits(), 0x80);
  const fp8_e4m3 nan = std::numeric_limits<fp8_e4m3>::quiet_NaN();
  EXPECT_FALSE(nan == nan);
  EXPECT_TRUE(nan != nan);
  EXPECT_FALSE(nan < one || nan > one || nan <= one || nan >= one);
  EXPECT_TRUE((-nan).isnan());
  const fp8_e5m2 inf = std::numeric_limits<fp8_e5m2>::infinity();
  EXPECT_TRUE((-inf).isinf());
  EXPECT_FALSE(inf.isfinite());
  EXPECT_TRUE(-inf < fp8_e5m2(0.0f));
  EXPECT_EQ(static_cast<float>(static_cast<float16>(fp8_e5m2(57344.0f))), 57344.0f);
  EXPECT_EQ(static_cast<float>(static_cast<bfloat16>(fp8_e4m3(-0.001953125f))), -0.001953125f);
  EXPECT_EQ(static_cast<double>(fp8_e4m3(bfloat16(3.0f))), 3.0);
}

TEST(Fp8Codec, TensorIsOneBytePerElementInCOrderWhateverTheAxis) {
  const std::vector<float> x = {1.0f, -3.1f, 447.9f, 500.0f, -INFINITY, NAN, -0.0f, 4.25f, 4.75f, 0x1p-10f, 464.1f, 1e-3f};  // 1e-3 is just above half of 2^-9
  const Shape shape = {3, 4};
  const std::vector<uint8_t> want_sat = {0x38, 0xC4, 0x7E, 0x7E, 0xFE, 0x7F, 0x80, 0x48, 0x4A, 0x00, 0x7E, 0x01};
  const std::vector<uint8_t> want_nan = {0x38, 0xC4, 0x7E, 0x7F, 0xFF, 0x7F, 0x80, 0x48, 0x4A, 0x00, 0x7F, 0x01};
  for (int axis : {0, 1, -1}) {
    const Packed p = encode(parse_format("fp8_e4m3"), x.data(), shape, axis);
    EXPECT_EQ(p.data, want_sat) << "axis " << axis;
    EXPECT_EQ(p.bits_per_value(), 8.0);
    const Packed q = encode(parse_format("fp8_e4m3:overflow=nan"), x.data(), shape, axis);
    EXPECT_EQ(q.data, want_nan) << "axis " << axis;
    std::vector<float> dec(x.size()), fq(x.size());
    decode(q, dec.data());
    fake_quant(parse_format("fp8_e4m3:overflow=nan"), x.data(), shape, axis, fq.data());
    for (size_t i = 0; i < x.size(); ++i) {
      expect_same(dec[i], testing::fp8_value(kE4M3Params, want_nan[i]), "decode", want_nan[i]);
      expect_same(fq[i], testing::fp8_value(kE4M3Params, want_nan[i]), "fake_quant", want_nan[i]);
    }
  }
  const std::vector<float> y = {57344.0f, 61439.0f, 61440.0f, 70000.0f, -INFINITY, NAN, 1.125f, 1.375f};
  const Shape s2 = {2, 2, 2};
  const Packed e_inf = encode(parse_format("fp8_e5m2"), y.data(), s2, 1);
  EXPECT_EQ(e_inf.data, (std::vector<uint8_t>{0x7B, 0x7B, 0x7C, 0x7C, 0xFC, 0x7E, 0x3C, 0x3E}));
  const Packed e_sat = encode(parse_format("fp8_e5m2:overflow=saturate"), y.data(), s2, 0);
  EXPECT_EQ(e_sat.data, (std::vector<uint8_t>{0x7B, 0x7B, 0x7B, 0x7B, 0xFB, 0x7E, 0x3C, 0x3E}));
  std::vector<float> out(y.size());
  decode(e_sat, out.data());
  EXPECT_EQ(out[3], 57344.0f);
  EXPECT_EQ(out[4], -57344.0f);
  EXPECT_TRUE(std::isnan(out[5]));
}

TEST(Fp8Codec, WrongPackedSizeAndFormatMismatchThrow) {
  Packed p;
  p.format = parse_format("fp8_e5m2");
  p.shape = {5};
  p.axis = 0;
  p.data.resize(4);
  std::vector<float> out(5);
  EXPECT_THROW(decode(p, out.data()), Error);
  EXPECT_THROW(fp8_e4m3_overflow(parse_format("fp8_e5m2")), Error);
  EXPECT_THROW(fp8_e5m2_overflow(parse_format("hif8")), Error);
  EXPECT_THROW(parse_format("fp8_e4m3:overflow=inf"), Error);
  EXPECT_THROW(parse_format("fp8_e5m2:overflow=nan"), Error);
}

}  // namespace
}  // namespace hifloat
