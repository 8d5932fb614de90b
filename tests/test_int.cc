// int8 and int4:group=G (spec/BASELINES.md §7, §8): the spec's examples, special
// values, hand-made records, and whole tensors (random and adversarial, several
// shapes and axes, tails) against the independent reference of int_reference.h.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "int_reference.h"

namespace hifloat {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<uint8_t> pack(const std::string& fmt, const std::vector<float>& x, const Shape& shape, int axis) {
  return encode(parse_format(fmt), x.data(), shape, axis).data;
}

std::vector<float> roundtrip(const std::string& fmt, const std::vector<float>& x, const Shape& shape, int axis) {
  const Packed p = encode(parse_format(fmt), x.data(), shape, axis);
  std::vector<float> out(x.size());
  decode(p, out.data());
  return out;
}

// Bit-exact, except that any NaN equals any NaN.
void expect_bits(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " element " << i;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
          << what << " element " << i << ": got " << got[i] << ", want " << want[i];
    }
  }
}

// ---- int8 (§7) --------------------------------------------------------------

TEST(Int8, ExampleOfSection7) {
  const std::vector<float> x = {0.5f, -1.27f, 0.01f, 0.635f};
  EXPECT_EQ(pack("int8", x, {1, 4}, 1), (std::vector<uint8_t>{0x0A, 0xD7, 0x23, 0x3C, 0x32, 0x81, 0x01, 0x40}));
  expect_bits(roundtrip("int8", x, {1, 4}, 1), {0.5f, -1.27f, 0.01f, 0.64f}, "x^");
}

TEST(Int8, AllZeroLineHasScaleOne) {
  const std::vector<float> x = {0.0f, -0.0f, 0.0f, 0.0f};
  EXPECT_EQ(pack("int8", x, {4}, 0), (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3F, 0, 0, 0, 0}));
  expect_bits(roundtrip("int8", x, {4}, 0), {0.0f, 0.0f, 0.0f, 0.0f}, "zeros decode to +0");
}

TEST(Int8, NaNLineAndInfinities) {
  // A NaN poisons its line only: NaN scale 0x7FC00000, codes 0.
  const std::vector<float> x = {1.0f, kNaN, -2.0f, 3.0f, 254.0f, kInf, -kInf, -127.0f};
  const std::vector<uint8_t> bytes = pack("int8", x, {2, 4}, 1);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8),
            (std::vector<uint8_t>{0x00, 0x00, 0xC0, 0x7F, 0, 0, 0, 0}));
  // Line 1: Inf is excluded from amax (254 -> s = 2) and saturates to +-127.
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 8, bytes.end()),
            (std::vector<uint8_t>{0x00, 0x00, 0x00, 0x40, 127, 127, 0x81, 0xC0}));
  const std::vector<float> y = roundtrip("int8", x, {2, 4}, 1);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isnan(y[i]));
  EXPECT_EQ(y[4], 254.0f);
  EXPECT_EQ(y[5], 254.0f);
  EXPECT_EQ(y[6], -254.0f);
  EXPECT_EQ(y[7], -128.0f);
}

TEST(Int8, UnderflowingScaleBecomesOneAndHugeValuesWork) {
  // amax / 127 underflows to 0 for the smallest subnormal: s = 1, all codes 0.
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(pack("int8", {tiny, -tiny}, {2}, 0), (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3F, 0, 0}));
  // FLT_MAX: s = RN32(FLT_MAX / 127), q = 127 and x^ = RN32(127 s), which may not be FLT_MAX exactly.
  const float big = std::numeric_limits<float>::max();
  const std::vector<float> x = {big, -big, 1e30f};
  const testing::IntReference ref = testing::ref_int_tensor(x, {3}, 0, 0);
  EXPECT_EQ(pack("int8", x, {3}, 0), ref.bytes);
  expect_bits(roundtrip("int8", x, {3}, 0), ref.values, "huge");
}

TEST(Int8, TiesGoToEven) {
  // amax = 127 gives s = 1 exactly, so x = k + 0.5 are exact ties.
  const std::vector<float> x = {127.0f, 0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 126.5f, -3.5f};
  const std::vector<uint8_t> b = pack("int8", x, {8}, 0);
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 4, b.end()),
            (std::vector<uint8_t>{127, 0, 2, 2, 0xFE, 0, 126, 0xFC}));
}

TEST(Int8, DecodesMinus128AndRecordSizes) {
  // -128 is never written but reads as -128 (hand-made record, scale 0.5).
  Packed p;
  p.format = parse_format("int8");
  p.shape = {3};
  p.axis = 0;
  p.data = {0x00, 0x00, 0x00, 0x3F, 0x80, 0x7F, 0x01};
  std::vector<float> out(3);
  decode(p, out.data());
  EXPECT_EQ(out, (std::vector<float>{-64.0f, 63.5f, 0.5f}));
  // 4 + L bytes per line, 8 + 32/L bits per value.
  const std::vector<float> x(6 * 8, 1.0f);
  EXPECT_EQ(encode(parse_format("int8"), x.data(), {6, 8}, 1).data.size(), 6u * 12u);
  EXPECT_EQ(encode(parse_format("int8"), x.data(), {6, 8}, 0).data.size(), 8u * 10u);
  EXPECT_EQ(encode(parse_format("int8"), x.data(), {6, 8}, 1).bits_per_value(), 12.0);
  // Wrong packed size is an error, not a crash.
  p.data.pop_back();
  EXPECT_THROW(decode(p, out.data()), Error);
}

// ---- int4 (§8) --------------------------------------------------------------

TEST(Int4, ExampleOfSection8) {
  const std::vector<float> x = {0.9f, -2.1f, 0.15f, 3.5f, -0.5f, 1.25f, 0.0f, -3.49f};
  EXPECT_EQ(pack("int4:group=8", x, {8}, 0), (std::vector<uint8_t>{0x00, 0x38, 0xC2, 0x70, 0x2F, 0x90}));
  expect_bits(roundtrip("int4:group=8", x, {8}, 0), {1.0f, -2.0f, 0.0f, 3.5f, -0.5f, 1.0f, 0.0f, -3.5f}, "x^");
}

TEST(Int4, SpecialValuesAndScaleEdges) {
  // NaN group: fp16 NaN scale 0x7E00, codes 0; the other group is unaffected.
  EXPECT_EQ(pack("int4:group=2", {kNaN, 1.0f, 7.0f, -kInf}, {4}, 0),
            (std::vector<uint8_t>{0x00, 0x7E, 0x00, 0x00, 0x3C, 0x97}));  // d = 1: codes 7, -7
  // All zero: d = 0 -> 1.
  EXPECT_EQ(pack("int4:group=2", {0.0f, -0.0f}, {2}, 0), (std::vector<uint8_t>{0x00, 0x3C, 0x00}));
  // fp16 overflow of amax / 7 (quotient >= 65520) gives d = 65504 (0x7BFF).
  EXPECT_EQ(pack("int4:group=2", {458640.0f, -1e30f}, {2}, 0), (std::vector<uint8_t>{0xFF, 0x7B, 0x97}));
  expect_bits(roundtrip("int4:group=2", {458640.0f, 65504.0f}, {2}, 0), {458528.0f, 65504.0f}, "d = 65504");
  // Just below the overflow threshold the quotient rounds to 65504 normally.
  EXPECT_EQ(pack("int4:group=2", {458639.0f, 0.0f}, {2}, 0), (std::vector<uint8_t>{0xFF, 0x7B, 0x07}));
  // Subnormal fp16 scale: amax = 7 * 2^-20 gives d = 2^-20 (0x0010).
  EXPECT_EQ(pack("int4:group=2", {7 * 0x1p-20f, -0x1p-20f}, {2}, 0), (std::vector<uint8_t>{0x10, 0x00, 0xF7}));
  // amax / 7 below half the smallest fp16 subnormal: d = 0 -> 1, codes 0.
  EXPECT_EQ(pack("int4:group=2", {1e-9f, -1e-9f}, {2}, 0), (std::vector<uint8_t>{0x00, 0x3C, 0x00}));
  // Ties at d = 1: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -3.5 -> -4, 6.5 -> 6.
  EXPECT_EQ(pack("int4:group=6", {7.0f, 0.5f, 1.5f, 2.5f, -3.5f, 6.5f}, {6}, 0),
            (std::vector<uint8_t>{0x00, 0x3C, 0x07, 0x22, 0x6C}));
}

TEST(Int4, DecodesMinus8AndRecordSizes) {
  Packed p;
  p.format = parse_format("int4:group=4");
  p.shape = {3};
  p.axis = 0;
  p.data = {0x00, 0x40, 0x78, 0xFF};  // d = 2; codes -8, 7, -1, -1 (the last is padding)
  std::vector<float> out(3);
  decode(p, out.data());
  EXPECT_EQ(out, (std::vector<float>{-16.0f, 14.0f, -2.0f}));
  // 2 + G/2 bytes per group; tails are padded.
  const std::vector<float> x(3 * 37, 1.0f);
  EXPECT_EQ(encode(parse_format("int4:group=8"), x.data(), {3, 37}, 1).data.size(), 3u * 5u * 6u);
  EXPECT_EQ(encode(parse_format("int4"), x.data(), {3, 37}, 1).data.size(), 3u * 2u * 18u);
  const std::vector<float> y(64, 1.0f);
  EXPECT_EQ(encode(parse_format("int4"), y.data(), {64}, 0).bits_per_value(), 4.5);
  EXPECT_THROW(parse_format("int4:group=3"), Error);
  EXPECT_THROW(parse_format("int4:group=0"), Error);
  p.data.push_back(0);
  EXPECT_THROW(decode(p, out.data()), Error);
}

// ---- whole tensors against the reference ------------------------------------

// Values of many magnitudes and both signs, with adversarial entries mixed in.
std::vector<float> make_input(size_t n, uint32_t seed, bool adversarial) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exp(-30, 30), pick(0, 39);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::ldexp(normal(rng), exp(rng) / 3);
    if (!adversarial) continue;
    switch (pick(rng)) {
      case 0: x[i] = kNaN; break;
      case 1: x[i] = kInf; break;
      case 2: x[i] = -kInf; break;
      case 3: x[i] = -0.0f; break;
      case 4: x[i] = std::numeric_limits<float>::max(); break;
      case 5: x[i] = std::numeric_limits<float>::denorm_min(); break;
      case 6: x[i] = std::ldexp(normal(rng), -140); break;
      case 7: x[i] = std::round(normal(rng) * 8) + 0.5f; break;  // ties when the scale is 1
      default: break;
    }
  }
  return x;
}

struct Case {
  std::string format;
  int group;  // 0 for int8
  Shape shape;
  int axis;
};

void check_against_reference(const Case& c, const std::vector<float>& x, const std::string& what) {
  const int rank = static_cast<int>(c.shape.size());
  const int axis = c.axis < 0 ? c.axis + rank : c.axis;
  const testing::IntReference ref = testing::ref_int_tensor(x, c.shape, axis, c.group);
  const std::string label = c.format + " axis " + std::to_string(c.axis) + " " + what;
  const FormatSpec fmt = parse_format(c.format);
  const Packed p = encode(fmt, x.data(), c.shape, c.axis);
  ASSERT_EQ(p.data, ref.bytes) << label;
  std::vector<float> dec(x.size()), fq(x.size());
  decode(p, dec.data());
  fake_quant(fmt, x.data(), c.shape, c.axis, fq.data());
  // fake_quant == decode(encode) bit for bit, NaN payloads included.
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(fq[i]), std::bit_cast<uint32_t>(dec[i])) << label << " element " << i;
  }
  expect_bits(dec, ref.values, label);
}

TEST(IntTensors, MatchTheReferenceOnRandomAndAdversarialInputs) {
  const std::vector<Case> cases = {
      {"int8", 0, {3, 5, 7}, 0},          {"int8", 0, {3, 5, 7}, 1},         {"int8", 0, {3, 5, 7}, 2},
      {"int8", 0, {3, 5, 7}, -1},         {"int8", 0, {1}, 0},               {"int8", 0, {40, 3}, 0},
      {"int4:group=2", 2, {3, 5, 7}, 0},  {"int4:group=2", 2, {3, 5, 7}, 2}, {"int4:group=2", 2, {4, 9}, -1},
      {"int4", 32, {3, 37}, 1},           {"int4", 32, {37, 3}, 0},          {"int4", 32, {2, 70, 3}, 1},
      {"int4:group=32", 32, {5, 64}, -1}, {"int4:group=128", 128, {4, 200}, 1},
      {"int4:group=128", 128, {300, 2}, 0}, {"int4:group=128", 128, {2, 3, 130}, 2},
      {"int4:group=8", 8, {6, 5, 4}, 1},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const size_t n = static_cast<size_t>(num_elements(c.shape));
    for (bool adversarial : {false, true}) {
      for (int rep = 0; rep < 4; ++rep) {
        check_against_reference(c, make_input(n, seed++, adversarial),
                                adversarial ? "adversarial" : "random");
      }
    }
    // Structured inputs: all zeros, all NaN, scales where ties happen (amax = 127 / 7).
    check_against_reference(c, std::vector<float>(n, 0.0f), "zeros");
    check_against_reference(c, std::vector<float>(n, kNaN), "all NaN");
    std::vector<float> ties(n);
    for (size_t i = 0; i < n; ++i) ties[i] = (i % 5 == 0) ? 127.0f : static_cast<float>(static_cast<int>(i % 13) - 6) + 0.5f;
    check_against_reference(c, ties, "ties at s = 1");
    for (size_t i = 0; i < n; ++i) ties[i] = (i % 4 == 0) ? -7.0f : static_cast<float>(static_cast<int>(i % 7) - 3) + 0.5f;
    check_against_reference(c, ties, "ties at d = 1");
  }
}

TEST(IntTensors, EmptyAndScalarTensors) {
  const std::vector<float> none;
  EXPECT_TRUE(encode(parse_format("int8"), none.data(), {0, 4}, 1).data.empty());
  EXPECT_TRUE(encode(parse_format("int4"), none.data(), {4, 0}, 1).data.empty());
  const float one = 3.0f;
  const Packed p = encode(parse_format("int4:group=2"), &one, {}, 0);
  // 0-d: one line of one element. d = RNE_fp16(3/7) = 1755 * 2^-12 (0x36DB), q = 7.
  EXPECT_EQ(p.data, (std::vector<uint8_t>{0xDB, 0x36, 0x07}));
}

}  // namespace
}  // namespace hifloat
