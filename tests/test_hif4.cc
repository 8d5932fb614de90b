// HiFloat4 family (spec/HIF4.md): worked examples, special values, every
// decodable code, packed layout and options. Expected values come from the
// spec's text and from formulas written here, never from the codec's output.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"

namespace hifloat {
namespace {

struct Member {
  const char* name;
  int m;  // magnitude bits
  size_t unit_bytes;
};
const Member kMembers[] = {{"hifx2", 1, 20}, {"hifx3", 2, 28}, {"hif4", 3, 36}, {"hifx5", 4, 44}};

std::vector<uint8_t> encode_bytes(const std::string& format, const std::vector<float>& x, const Shape& shape,
                                  int axis = -1) {
  return encode(parse_format(format), x.data(), shape, axis).data;
}

std::vector<float> fake(const std::string& format, const std::vector<float>& x, const Shape& shape, int axis = -1) {
  std::vector<float> out(x.size());
  fake_quant(parse_format(format), x.data(), shape, axis, out.data());
  return out;
}

std::vector<float> decode_unit(const std::string& format, const std::vector<uint8_t>& bytes) {
  Packed p;
  p.format = parse_format(format);
  p.shape = {64};
  p.axis = 0;
  p.data = bytes;
  std::vector<float> out(64);
  decode(p, out.data());
  return out;
}

// Same bits, so -0 and +0 differ here (the codec keeps the sign of zero, D4).
bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

// ---------------------------------------------------------------- §8.1

std::vector<float> worked_example_input() {
  std::vector<float> x(64, 0.0f);
  const float first[16] = {10, -3.3f, 0.7f, 0.05f, 2.2f, 1.9f, -0.45f, 0, 0.9f, -0.3f, 0.12f, 0.6f, 0.01f, -0.02f,
                           0.03f, 0.04f};
  for (int i = 0; i < 16; ++i) x[i] = first[i];
  x[16] = 5.2f;
  x[40] = -0.26f;
  return x;
}

const std::vector<uint8_t> kWorkedExampleBytes = {
    0xC2, 0x01, 0x11, 0x00, 0xA7, 0x00, 0x33, 0x09, 0x92, 0x20, 0x80, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

std::vector<float> worked_example_values() {  // the x̂ column of §8.1's table; every other element +0
  std::vector<float> v(64, 0.0f);
  v[0] = 10.5f, v[1] = -3.0f, v[4] = 2.25f, v[5] = 2.25f, v[6] = -0.75f, v[8] = 0.75f, v[9] = -0.375f;
  v[11] = 0.75f, v[13] = -0.0f, v[16] = 5.25f, v[40] = -0.375f;
  return v;
}

TEST(Hif4WorkedExample, PackedBytes) {
  EXPECT_EQ(encode_bytes("hif4", worked_example_input(), {64}), kWorkedExampleBytes);
  EXPECT_EQ(encode_bytes("hifx4", worked_example_input(), {64}), kWorkedExampleBytes);
}

TEST(Hif4WorkedExample, DequantisedValues) {
  const std::vector<float> want = worked_example_values();
  for (const char* fmt : {"hif4", "hif4:rounding=even"}) {
    const std::vector<float> got = fake(fmt, worked_example_input(), {64});
    for (int i = 0; i < 64; ++i) EXPECT_TRUE(same_bits(got[i], want[i])) << fmt << " i=" << i << " got " << got[i];
    const std::vector<float> dec = decode_unit(fmt, kWorkedExampleBytes);
    for (int i = 0; i < 64; ++i) EXPECT_TRUE(same_bits(dec[i], want[i])) << fmt << " decode i=" << i;
  }
  EXPECT_EQ(encode_bytes("hif4:rounding=even", worked_example_input(), {64}), kWorkedExampleBytes);
}

TEST(Hif4WorkedExample, StochasticSeed42) {
  std::vector<float> want(64, 0.0f);
  const float first[17] = {10.5f, -3.0f, 0, 0, 2.25f, 1.5f, -0.75f, 0, 1.125f, -0.375f, 0, 0.75f, 0, -0.0f, 0, 0,
                           5.25f};
  for (int i = 0; i < 17; ++i) want[i] = first[i];
  want[40] = -0.375f;
  const std::vector<float> got = fake("hif4:rounding=stochastic,seed=42", worked_example_input(), {64});
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(same_bits(got[i], want[i])) << "i=" << i << " got " << got[i];
  // Steps 1-8 do not depend on the rounding mode.
  const std::vector<uint8_t> bytes = encode_bytes("hif4:rounding=stochastic,seed=42", worked_example_input(), {64});
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 4),
            std::vector<uint8_t>(kWorkedExampleBytes.begin(), kWorkedExampleBytes.begin() + 4));
}

// ---------------------------------------------------------------- §8.2, §4

TEST(Hif4Specials, InfUnitOfSection8_2) {
  std::vector<float> x(64, 0.0f);
  x[0] = INFINITY, x[1] = 1000, x[8] = -30000, x[9] = 20000;
  std::vector<uint8_t> want(36, 0);
  want[0] = 0xFE, want[1] = 0x01, want[2] = 0x01, want[4] = 0x07, want[8] = 0x2A;
  EXPECT_EQ(encode_bytes("hif4", x, {64}), want);
  const std::vector<float> got = fake("hif4", x, {64});
  EXPECT_EQ(got[0], 344064.0f);
  EXPECT_EQ(got[1], 0.0f);
  EXPECT_EQ(got[8], -24576.0f);
  EXPECT_EQ(got[9], 24576.0f);
}

TEST(Hif4Specials, MixedInfinitiesSaturateWithTheirOwnSign) {
  for (const Member& mb : kMembers) {
    std::vector<float> x(64, 0.0f);
    x[3] = INFINITY, x[37] = -INFINITY, x[50] = 1.0f;
    const std::vector<float> got = fake(mb.name, x, {64});
    const double top = (std::ldexp(1.0, mb.m) - 1) / std::ldexp(1.0, mb.m - 1) * 4 * 49152;  // q_max, shift 2
    EXPECT_EQ(got[3], static_cast<float>(top)) << mb.name;
    EXPECT_EQ(got[37], static_cast<float>(-top)) << mb.name;
    EXPECT_EQ(got[50], 0.0f) << mb.name;  // 1 is far below the smallest step 49152/2^(m-1)
    EXPECT_EQ(encode_bytes(mb.name, x, {64})[0], 0xFE) << mb.name;
  }
}

TEST(Hif4Specials, NaNAnywhereMakesANaNUnit) {
  for (const Member& mb : kMembers) {
    std::vector<uint8_t> want(mb.unit_bytes, 0);
    want[0] = 0xFF;
    for (int pos = 0; pos < 64; ++pos) {
      std::vector<float> x(64);
      for (int i = 0; i < 64; ++i) x[i] = static_cast<float>(i) - 20.5f;
      x[pos] = pos % 2 ? NAN : -NAN;
      if (pos != 7) x[7] = INFINITY;  // Inf together with NaN is still a NaN unit
      ASSERT_EQ(encode_bytes(mb.name, x, {64}), want) << mb.name << " NaN at " << pos;
      for (float v : fake(mb.name, x, {64})) ASSERT_TRUE(std::isnan(v)) << mb.name << " NaN at " << pos;
    }
  }
}

TEST(Hif4Specials, NaNUnitDecodesToNaNWhateverTheOtherBitsHold) {
  for (const Member& mb : kMembers) {
    std::vector<uint8_t> bytes(mb.unit_bytes, 0x5A);
    bytes[0] = 0xFF;
    for (float v : decode_unit(mb.name, bytes)) EXPECT_TRUE(std::isnan(v)) << mb.name;
  }
}

TEST(Hif4Specials, ZeroUnitAndSignOfZero) {
  std::vector<float> x(64, 0.0f);
  EXPECT_EQ(encode_bytes("hif4", x, {64}), std::vector<uint8_t>(36, 0));  // §7 "All-zero unit bytes"
  x[5] = -0.0f;
  std::vector<uint8_t> want(36, 0);
  want[6] = 0x80;  // §7: a -0 at element 5 makes byte 6 equal 0x80
  EXPECT_EQ(encode_bytes("hif4", x, {64}), want);
  for (const Member& mb : kMembers) {
    const std::vector<float> got = fake(mb.name, x, {64});
    EXPECT_TRUE(same_bits(got[5], -0.0f)) << mb.name;
    EXPECT_TRUE(same_bits(got[4], 0.0f)) << mb.name;
  }
}

TEST(Hif4Specials, SubnormalsQuantiseToSignedZero) {
  for (const Member& mb : kMembers) {
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) {
      const float s = std::bit_cast<float>(static_cast<uint32_t>(1 + i * 131071));  // subnormal patterns
      x[i] = i % 3 ? s : -s;
    }
    x[63] = std::numeric_limits<float>::denorm_min();
    const std::vector<float> got = fake(mb.name, x, {64});
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(got[i], 0.0f) << mb.name << " i=" << i;
      EXPECT_EQ(std::signbit(got[i]), std::signbit(x[i])) << mb.name << " i=" << i;
    }
    EXPECT_EQ(encode_bytes(mb.name, x, {64})[0], 0x00) << mb.name;  // scale clamps to 2^-48
  }
}

TEST(Hif4Specials, HugeValuesSaturate) {
  const float huge[] = {344064.0f, 344065.0f, 1e6f, 3e38f, std::numeric_limits<float>::max()};
  for (float h : huge) {
    std::vector<float> x(64, 0.0f);
    x[10] = h, x[20] = -h;
    const std::vector<float> got = fake("hif4", x, {64});
    EXPECT_EQ(got[10], 344064.0f) << h;
    EXPECT_EQ(got[20], -344064.0f) << h;
  }
}

// Scale S = 1 exactly (M = 7: RN32(7 * 73/512) = 511/512 rounds to bf16 1.0),
// so R = 1 and t = 2^(m-1) * a for elements below 2 in flag-free groups.
TEST(Hif4Rounding, TiesAwayEvenAndThe0x3EFFFFFFArtefact) {
  for (const Member& mb : kMembers) {
    const double half_steps = std::ldexp(1.0, mb.m - 1);
    const int qmax = (1 << mb.m) - 1;
    std::vector<float> x(64, 0.0f);
    x[63] = 7.0f;
    // Ties t = k + 0.5 for k = 0..qmax, each at element k.
    for (int k = 0; k <= qmax; ++k) x[k] = static_cast<float>((k + 0.5) / half_steps);
    // t = 0.5 - 2^-25 (fp32 0x3EFFFFFF) at element 32.
    x[32] = static_cast<float>(std::bit_cast<float>(0x3EFFFFFFu) / half_steps);
    // Just either side of a tie at element 40, 41.
    x[40] = std::nextafter(static_cast<float>(2.5 / half_steps), 0.0f);
    x[41] = std::nextafter(static_cast<float>(2.5 / half_steps), 4.0f);
    const std::vector<uint8_t> bytes = encode_bytes(mb.name, x, {64});
    ASSERT_EQ(bytes[0], 0xC0) << mb.name;  // S = 1: E = 0, f = 0
    ASSERT_EQ(bytes[1], 0x80) << mb.name;  // only group 7 (holding the 7) is flagged
    const std::vector<float> away = fake(mb.name, x, {64});
    const std::vector<float> even = fake(std::string(mb.name) + ":rounding=even", x, {64});
    for (int k = 0; k <= qmax; ++k) {
      const int q_away = std::min(k + 1, qmax);
      const int q_even = std::min(k % 2 == 0 ? k : k + 1, qmax);
      EXPECT_EQ(away[k], static_cast<float>(q_away / half_steps)) << mb.name << " tie " << k << ".5";
      EXPECT_EQ(even[k], static_cast<float>(q_even / half_steps)) << mb.name << " tie " << k << ".5";
    }
    EXPECT_EQ(away[32], static_cast<float>(1 / half_steps)) << mb.name << " 0x3EFFFFFF artefact";
    EXPECT_EQ(even[32], 0.0f) << mb.name;
    if (qmax >= 3) {
      EXPECT_EQ(away[40], static_cast<float>(2 / half_steps)) << mb.name;
      EXPECT_EQ(away[41], static_cast<float>(3 / half_steps)) << mb.name;
      EXPECT_EQ(even[40], static_cast<float>(2 / half_steps)) << mb.name;
      EXPECT_EQ(even[41], static_cast<float>(3 / half_steps)) << mb.name;
    }
  }
}

// ---------------------------------------------------------------- decoding, §3 and §7

// Writes code `c` (width w) for element i into a little-endian bit stream, the
// way §7 states it: stream bit b is bit b mod 8 of payload byte b div 8.
void put_stream_code(std::vector<uint8_t>& unit, int w, int i, uint32_t c) {
  for (int b = 0; b < w; ++b) {
    const int bit = i * w + b;
    if ((c >> b) & 1u) unit[4 + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  }
}

TEST(Hif4Decode, EveryScaleCode) {
  for (const Member& mb : kMembers) {
    for (int c = 0; c < 256; ++c) {
      std::vector<uint8_t> unit(mb.unit_bytes, 0);
      unit[0] = static_cast<uint8_t>(c);
      const uint32_t one = 1u << (mb.m - 1);  // element value 1.0 * S
      put_stream_code(unit, mb.m + 1, 0, one);
      put_stream_code(unit, mb.m + 1, 1, (1u << mb.m) | one);  // -S
      const std::vector<float> got = decode_unit(mb.name, unit);
      if (c == 0xFF) {
        for (float v : got) EXPECT_TRUE(std::isnan(v));
        continue;
      }
      const double S = (1 + (c & 3) / 4.0) * std::pow(2.0, (c >> 2) - 48);  // §3.1
      EXPECT_EQ(static_cast<double>(got[0]), S) << mb.name << " code " << c;
      EXPECT_EQ(static_cast<double>(got[1]), -S) << mb.name << " code " << c;
      for (int i = 2; i < 64; ++i) EXPECT_TRUE(same_bits(got[i], 0.0f)) << mb.name;
    }
  }
  // Spot values from §3.1.
  std::vector<uint8_t> unit(36, 0);
  unit[4] = 0x04;  // element 0: q = 4, value 1.0 * S
  unit[0] = 0x00;
  EXPECT_EQ(decode_unit("hif4", unit)[0], 0x1p-48f);
  unit[0] = 0xFE;
  EXPECT_EQ(decode_unit("hif4", unit)[0], 49152.0f);
}

// Every element code of every member, at every shift 0, 1, 2 and several scales.
TEST(Hif4Decode, EveryElementCodeAtEveryShift) {
  const uint8_t scales[] = {0x00, 0x01, 0x7B, 0xC0, 0xC1, 0xC2, 0xC3, 0xFE};
  // Flag patterns (b8, b4) that give each element a shift of 0, 1 or 2.
  const std::pair<uint8_t, uint16_t> flags[] = {{0x00, 0x0000}, {0xFF, 0x0000}, {0x00, 0xFFFF},
                                                {0xFF, 0xFFFF}, {0xA5, 0x3C96}, {0x5A, 0xC369}};
  for (const Member& mb : kMembers) {
    const int w = mb.m + 1;
    const int ncodes = 1 << w;
    for (uint8_t sc : scales) {
      for (auto [b8, b4] : flags) {
        for (int rot = 0; rot < ncodes; ++rot) {  // every code visits every element position class
          std::vector<uint8_t> unit(mb.unit_bytes, 0);
          unit[0] = sc, unit[1] = b8, unit[2] = static_cast<uint8_t>(b4), unit[3] = static_cast<uint8_t>(b4 >> 8);
          for (int i = 0; i < 64; ++i) put_stream_code(unit, w, i, static_cast<uint32_t>((i + rot) % ncodes));
          const std::vector<float> got = decode_unit(mb.name, unit);
          const double S = (1 + (sc & 3) / 4.0) * std::pow(2.0, (sc >> 2) - 48);
          for (int i = 0; i < 64; ++i) {
            const int code = (i + rot) % ncodes;
            const int s = code >> mb.m, q = code & ((1 << mb.m) - 1);
            const int sh = ((b8 >> (i / 8)) & 1) + ((b4 >> (i / 4)) & 1);
            const double v = q / std::pow(2.0, mb.m - 1) * std::pow(2.0, sh) * S;  // §3
            const float want = static_cast<float>(s ? -v : v);
            ASSERT_TRUE(same_bits(got[i], want)) << mb.name << " scale " << int(sc) << " code " << code << " i=" << i
                                                 << " got " << got[i] << " want " << want;
          }
        }
      }
    }
  }
}

TEST(Hif4Decode, Hif4NibbleOrderOfSection7) {
  std::vector<uint8_t> unit(36, 0);
  unit[0] = 0xC0;  // S = 1
  unit[4] = 0xB1;  // element 0 = code 0x1 (+0.25), element 1 = code 0xB (-0.75)
  unit[35] = 0x7F;  // element 62 = code 0xF (-1.75), element 63 = code 0x7 (+1.75)
  const std::vector<float> got = decode_unit("hif4", unit);
  EXPECT_EQ(got[0], 0.25f);
  EXPECT_EQ(got[1], -0.75f);
  EXPECT_EQ(got[62], -1.75f);
  EXPECT_EQ(got[63], 1.75f);
}

// ---------------------------------------------------------------- sizes, options, errors

TEST(Hif4Layout, UnitSizesAndTails) {
  for (const Member& mb : kMembers) {
    std::vector<float> x(200, 1.0f);
    EXPECT_EQ(encode_bytes(mb.name, std::vector<float>(64, 1.0f), {64}).size(), mb.unit_bytes);
    // 200 = 3 full units + a tail of 8: 4 units per line.
    EXPECT_EQ(encode_bytes(mb.name, x, {200}).size(), 4 * mb.unit_bytes);
    EXPECT_EQ(encode_bytes(mb.name, x, {2, 100}, 1).size(), 2 * 2 * mb.unit_bytes);
    EXPECT_EQ(encode_bytes(mb.name, x, {2, 100}, 0).size(), 100 * mb.unit_bytes);
    EXPECT_TRUE(encode_bytes(mb.name, {}, {0, 5}, 1).empty());
    const Packed p = encode(parse_format(mb.name), std::vector<float>(64 * 8).data(), {8, 64}, 1);
    EXPECT_DOUBLE_EQ(p.bits_per_value(), (mb.m + 1) + 0.5) << mb.name;
  }
}

TEST(Hif4Layout, ZeroDimensionalTensorIsOneUnit) {
  const std::vector<float> x = {2.2f};
  EXPECT_EQ(encode_bytes("hif4", x, {}).size(), 36u);
  // Alone in its unit: t0 = 0.31367.. -> bf16 0.314453125 -> E6M2 S = 1.25 * 2^-2, R = 3.203125;
  // both flags set (sh = 2), t = 4 * (2.2/4 * R) = 7.05 -> q = 7: 7/4 * 4 * 0.3125 = 2.1875.
  EXPECT_EQ(fake("hif4", x, {})[0], 2.1875f);
}

TEST(Hif4Options, ParsingAndErrors) {
  EXPECT_EQ(parse_format("hifx4").name, "hif4");
  EXPECT_NO_THROW(make_codec("hifx5:rounding=even,seed=18446744073709551615"));
  EXPECT_THROW(parse_format("hif4:rounding=zero"), Error);
  EXPECT_THROW(parse_format("hif4:seed=-1"), Error);
  EXPECT_THROW(parse_format("hifx3:block=32"), Error);
  Packed p = encode(parse_format("hif4"), std::vector<float>(64, 1.0f).data(), {64}, 0);
  p.data.pop_back();
  std::vector<float> out(64);
  EXPECT_THROW(decode(p, out.data()), Error);
  EXPECT_THROW(encode(parse_format("hif4"), out.data(), {64}, 1), Error);  // axis out of range
}

}  // namespace
}  // namespace hifloat
