// The MX family as microxcaling computes it (spec/BASELINES.md §4).
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "nvmx_inputs.h"
#include "nvmx_reference.h"

namespace hifloat {
namespace {

using testing::kMxParams;
using testing::MxParams;
using testing::Rng;

bool same_bits(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

std::vector<float> fq(const std::string& f, const std::vector<float>& x, const Shape& shape, int axis) {
  std::vector<float> out(x.size());
  fake_quant(parse_format(f), x.data(), shape, axis, out.data());
  return out;
}

std::vector<uint8_t> enc(const std::string& f, const std::vector<float>& x, const Shape& shape, int axis) {
  return encode(parse_format(f), x.data(), shape, axis).data;
}

std::vector<float> dec(const std::string& f, const std::vector<uint8_t>& bytes, const Shape& shape, int axis) {
  Packed p;
  p.format = parse_format(f);
  p.shape = shape;
  p.axis = axis;
  p.data = bytes;
  std::vector<float> out(static_cast<size_t>(num_elements(shape)));
  decode(p, out.data());
  return out;
}

// §4.6: one block of 32.
struct WorkedRow {
  const char* format;
  uint8_t scale;
  float values[8];
  std::vector<uint8_t> prefix;  // record bytes from the spec; the rest are zeros
};

TEST(Mx, WorkedExampleSection4_6) {
  std::vector<float> x(32, 0.0f);
  const float head[] = {0.3f, -1.7f, 2.5f, 5.0f, 7.9f, -0.24f, 0.26f, -3.2f};
  std::copy(std::begin(head), std::end(head), x.begin());
  const WorkedRow rows[] = {
      {"mxfp4", 0x7F, {0.5f, -1.5f, 2, 4, 6, -0.0f, 0.5f, -3}, {0x7F, 0xB1, 0x64, 0x87, 0xD1, 0x00}},
      {"mxfp6_e2m3", 0x7F, {0.25f, -1.75f, 2.5f, 5, 7.5f, -0.25f, 0.25f, -3.25f}, {0x7F, 0x82, 0x2B, 0x69, 0x9F, 0x28, 0xD4}},
      {"mxfp6_e3m2", 0x7D, {0.3125f, -1.75f, 2.5f, 5, 7, -0.25f, 0.25f, -3}, {0x7D, 0xCD, 0x9D, 0x75, 0x1F, 0xCB, 0xE8}},
      {"mxfp8_e4m3", 0x79, {0.3125f, -1.75f, 2.5f, 5, 7, -0.234375f, 0.25f, -3.25f},
       {0x79, 0x5A, 0xEE, 0x72, 0x7A, 0x7E, 0xD7, 0x58, 0xF5}},
      {"mxfp8_e5m2", 0x72, {0.3125f, -1.75f, 2.5f, 5, 7, -0.25f, 0.25f, -3},
       {0x72, 0x69, 0xF3, 0x75, 0x79, 0x7B, 0xE8, 0x68, 0xF6}},
      {"mxint8", 0x81, {0.3125f, -1.6875f, 2.5f, 5, 7.875f, -0.25f, 0.25f, -3.1875f},
       {0x81, 0x05, 0xE5, 0x28, 0x50, 0x7E, 0xFC, 0x04, 0xCD}},
  };
  for (const WorkedRow& r : rows) {
    SCOPED_TRACE(r.format);
    const std::vector<uint8_t> bytes = enc(r.format, x, {32}, 0);
    std::vector<uint8_t> expect = r.prefix;
    const size_t record = std::string(r.format).find("fp4") != std::string::npos   ? 17
                          : std::string(r.format).find("fp6") != std::string::npos ? 25
                                                                                   : 33;
    expect.resize(record, 0);
    EXPECT_EQ(bytes, expect);
    EXPECT_EQ(bytes[0], r.scale);
    const std::vector<float> out = dec(r.format, bytes, {32}, 0);
    for (int i = 0; i < 8; ++i) EXPECT_TRUE(same_bits(out[i], r.values[i])) << i << ": " << out[i];
    for (int i = 8; i < 32; ++i) EXPECT_TRUE(same_bits(out[i], 0.0f)) << i;
    EXPECT_EQ(fq(r.format, x, {32}, 0), out);
  }
}

TEST(Mx, PackedSizes) {
  const std::pair<const char*, size_t> sizes[] = {{"mxfp4", 17},      {"mxfp6_e2m3", 25}, {"mxfp6_e3m2", 25},
                                                  {"mxfp8_e4m3", 33}, {"mxfp8_e5m2", 33}, {"mxint8", 33}};
  for (const auto& [f, rec] : sizes) {
    const auto c = make_codec(f);
    EXPECT_EQ(c->header_bytes(), 0u) << f;
    EXPECT_EQ(c->packed_bytes({4, 32}, 1), 4 * rec) << f;
    EXPECT_EQ(c->packed_bytes({4, 33}, 1), 8 * rec) << f;  // tail padded
    EXPECT_EQ(c->packed_bytes({4, 33}, 0), 33 * rec) << f;
  }
}

// §1 value of an element code (NaN / ±Inf for the special codes), written from
// the spec's table independently of src/formats/minifloat.h.
double element_value(const MxParams& p, int code) {
  if (p.is_int) return static_cast<int8_t>(code) / 64.0;
  const int sign = code >> (p.bits - 1) & 1;
  const int ebits = p.bits - 1 - p.mbits;
  const int field = code >> p.mbits & ((1 << ebits) - 1), m = code & ((1 << p.mbits) - 1);
  double mag;
  if (std::string(p.name) == "mxfp8_e4m3" && field == 15 && m == 7) {
    mag = NAN;
  } else if (std::string(p.name) == "mxfp8_e5m2" && field == 31) {
    mag = m == 0 ? INFINITY : NAN;
  } else if (field == 0) {
    mag = m * std::pow(2.0, 1 - p.bias - p.mbits);
  } else {
    mag = (1.0 + m * std::pow(2.0, -p.mbits)) * std::pow(2.0, field - p.bias);
  }
  return sign ? -mag : mag;
}

TEST(Mx, EveryScaleAndElementCodeDecodesPerSpec) {
  for (const MxParams& p : kMxParams) {
    SCOPED_TRACE(p.name);
    for (int sc = 0; sc <= 0xFF; ++sc) {
      for (int c = 0; c < (1 << p.bits); ++c) {
        std::vector<int> codes(32, c);
        std::vector<uint8_t> rec = testing::pack_stream(codes, p.bits);
        rec.insert(rec.begin(), static_cast<uint8_t>(sc));
        const std::vector<float> out = dec(p.name, rec, {32}, 0);
        const double v = element_value(p, c);
        // 0xFF is the E8M0 NaN; otherwise x̂ = RN32(value · 2^(sc − 127)), ±Inf past fp32.
        const float expect = sc == 0xFF ? NAN : testing::rn32(v * std::pow(2.0, sc - 127));
        for (float o : out) ASSERT_TRUE(same_bits(o, expect)) << "scale " << sc << " code " << c << ": " << o;
      }
    }
  }
  // Spot checks typed from the spec: E5M2 Inf code, mxint8 −128 reads as −2.
  EXPECT_EQ(element_value(kMxParams[4], 0x7C), INFINITY);
  EXPECT_EQ(element_value(kMxParams[5], 0x80), -2.0);
  EXPECT_EQ(element_value(kMxParams[3], 0x7E), 448.0);
  EXPECT_EQ(element_value(kMxParams[4], 0x7B), 57344.0);
  EXPECT_EQ(element_value(kMxParams[2], 0x1F), 28.0);
  EXPECT_EQ(element_value(kMxParams[1], 0x1F), 7.5);
  EXPECT_EQ(element_value(kMxParams[2], 0x01), 0.0625);
  EXPECT_EQ(element_value(kMxParams[1], 0x01), 0.125);
}

// §4.2: the shared exponent, including the fp32-log2 artefact, on every fp32
// value from 1000 ulps below to 3 ulps above every power of two, against the
// N(k) table. mxint8 (emax 0) shows E in [−127, 127]; mxfp4 (emax 2) shows
// E up to 129. This covers every input where the codec's fp32-rounded log2 could
// change the floor: that needs log2(amax) within half an fp32 ulp below an
// integer, i.e. amax within at most 44 ulps below a power of two.
TEST(Mx, SharedExponentMatchesTheNkTableNearEveryPowerOfTwo) {
  const auto int8 = make_codec("mxint8");
  const auto fp4 = make_codec("mxfp4");
  std::vector<uint8_t> r8(33), r4(17);
  int64_t checked = 0, bumped = 0;
  for (int k = -148; k <= 128; ++k) {
    const uint32_t pow_bits = k >= -126 ? static_cast<uint32_t>(k + 127) << 23 : (1u << (k + 149));
    for (int d = -1000; d <= 3; ++d) {
      const int64_t b = static_cast<int64_t>(pow_bits) + d;
      if (b <= 0 || b >= 0x7F800000) continue;
      const float amax = std::bit_cast<float>(static_cast<uint32_t>(b));
      const int E = testing::mx_exponent_from_table(amax);
      const int exact = std::ilogb(amax);
      bumped += E != exact;
      int8->quantize(&amax, {1}, 0, r8);
      fp4->quantize(&amax, {1}, 0, r4);
      const int se8 = std::max(E, -127);
      ASSERT_EQ(r8[0], se8 > 127 ? 0xFF : se8 + 127) << std::hex << b;
      ASSERT_EQ(r4[0], std::max(E - 2, -127) + 127) << std::hex << b;
      ++checked;
    }
  }
  EXPECT_GT(checked, 270000);
  EXPECT_GT(bumped, 5000);  // the artefact really is exercised
  // The spec's example: 7.9999995 (0x40FFFFFF) gives E = 3.
  EXPECT_EQ(testing::mx_exponent_from_table(std::bit_cast<float>(0x40FFFFFFu)), 3);
  EXPECT_EQ(testing::mx_exponent_from_table(std::bit_cast<float>(0x40FFFFFEu)), 2);
}

TEST(Mx, SpecialValues) {
  for (const MxParams& p : kMxParams) {
    SCOPED_TRACE(p.name);
    const bool is_int = p.is_int;
    // NaN or ±Inf anywhere: the whole block is NaN (scale 0xFF, codes 0).
    for (float s : {NAN, INFINITY, -INFINITY}) {
      std::vector<float> x(40, 1.0f);
      x[5] = s;
      const std::vector<uint8_t> b = enc(p.name, x, {40}, 0);
      const size_t rec = b.size() / 2;
      EXPECT_EQ(b[0], 0xFF);
      for (size_t i = 1; i < rec; ++i) EXPECT_EQ(b[i], 0);
      EXPECT_NE(b[rec], 0xFF);  // the next block is untouched
      const std::vector<float> out = fq(p.name, x, {40}, 0);
      for (int i = 0; i < 32; ++i) EXPECT_TRUE(std::isnan(out[i]));
      for (int i = 32; i < 40; ++i) EXPECT_EQ(out[i], 1.0f);
    }
    // All-zero block: se = max(−126 − emax, −127).
    std::vector<float> z(32, 0.0f);
    z[3] = -0.0f;
    const std::vector<uint8_t> bz = enc(p.name, z, {32}, 0);
    EXPECT_EQ(bz[0], is_int ? 0x01 : 0x00);
    const std::vector<float> oz = fq(p.name, z, {32}, 0);
    EXPECT_TRUE(same_bits(oz[0], 0.0f));
    EXPECT_TRUE(same_bits(oz[3], is_int ? 0.0f : -0.0f));  // −0: sign kept except in two's complement
    // Negative values rounding to 0: −0 for float elements, +0 for mxint8.
    const std::vector<float> neg = fq(p.name, {1.0f, -0x1p-60f}, {2}, 0);
    EXPECT_TRUE(same_bits(neg[1], is_int ? 0.0f : -0.0f));
    // amax among the largest fp32: ±Inf outputs for E = 128 (floats), NaN block for mxint8.
    const std::vector<float> big = fq(p.name, {FLT_MAX, -FLT_MAX, 1e38f}, {3}, 0);
    if (is_int) {
      EXPECT_TRUE(std::isnan(big[0]) && std::isnan(big[2]));
    } else {
      EXPECT_EQ(big[0], INFINITY);
      EXPECT_EQ(big[1], -INFINITY);
    }
  }
  // §4.3 example: in an mxfp4 block with se = 0, 0.25 − 2^−26 becomes 0.5 (RNE* artefact),
  // while 0.25 − 2^−25 and the exact tie 0.25 go to 0.
  EXPECT_EQ(fq("mxfp4", {4.0f, 0.25f - 0x1p-26f, 0.25f - 0x1p-25f, 0.25f, -(0.25f - 0x1p-26f)}, {5}, 0),
            (std::vector<float>{4.0f, 0.5f, 0.0f, 0.0f, -0.5f}));
  // mxint8 at se = 0: (0.5 − 2^−25)/64 becomes 1/64.
  EXPECT_EQ(fq("mxint8", {1.0f, (0.5f - 0x1p-25f) / 64, 0.5f / 64, 1.5f / 64}, {4}, 0),
            (std::vector<float>{1.0f, 1.0f / 64, 0.0f, 2.0f / 64}));
  // fp32 subnormal inputs are not flushed: se = −127 and E5M2 elements reach 2^−143.
  EXPECT_EQ(fq("mxfp8_e5m2", {0x1p-140f, 0x1p-143f, 0x1.8p-141f}, {3}, 0),
            (std::vector<float>{0x1p-140f, 0x1p-143f, 0x1.8p-141f}));
  EXPECT_EQ(enc("mxfp8_e5m2", {0x1p-140f}, {1}, 0)[0], 0x00);
  // Saturation: |x| > maxnorm·2^se becomes ±maxnorm·2^se (E4M3 never gives its NaN code).
  EXPECT_EQ(fq("mxfp8_e4m3", {511.0f, -500.0f}, {2}, 0), (std::vector<float>{448.0f, -448.0f}));
  EXPECT_EQ(fq("mxfp4", {7.99f, -7.0f}, {2}, 0), (std::vector<float>{6.0f, -6.0f}));
  EXPECT_EQ(fq("mxint8", {1.999f}, {1}, 0), (std::vector<float>{127.0f / 64}));
  // The log2 artefact: 7.9999995 gives E = 3, so mxfp4's se = 1 (code 0x80), A = 3.9999998
  // rounds to 4 and decodes to 8.
  EXPECT_EQ(enc("mxfp4", {std::bit_cast<float>(0x40FFFFFFu)}, {1}, 0)[0], 0x80);
  EXPECT_EQ(fq("mxfp4", {std::bit_cast<float>(0x40FFFFFFu)}, {1}, 0)[0], 8.0f);
}

TEST(Mx, InvalidPackedSizeIsAnError) {
  EXPECT_THROW(dec("mxfp4", std::vector<uint8_t>(16), {32}, 0), Error);
  EXPECT_THROW(dec("mxfp6_e3m2", std::vector<uint8_t>(26), {32}, 0), Error);
}

// Blocks built to land on element-grid midpoints: the maximum 1.5·2^(emax+se)
// fixes se, the other elements are (midpoints, artefact values, grid values)·2^se.
std::vector<float> tie_block(Rng& rng, const MxParams& p, int se) {
  const testing::Grid& g = testing::mx_grid(p);
  const auto& e = g.entries();
  std::vector<float> x(32);
  const double scale = std::ldexp(1.0, se);
  for (float& v : x) {
    const size_t i = static_cast<size_t>(rng.range(0, static_cast<int>(e.size()) - 2));
    const double step = p.is_int ? 1.0 / 64 : std::ldexp(1.0, p.emin - p.mbits);
    double a;
    switch (rng.range(0, 3)) {
      case 0: a = (e[i].value + e[i + 1].value) / 2; break;
      case 1: a = e[i].value; break;
      case 2: a = (0.5 - 0x1p-25) * step; break;
      default: a = (e[i].value + e[i + 1].value) / 2 * (1 + (rng.chance(0.5) ? 0x1p-23 : -0x1p-24)); break;
    }
    v = static_cast<float>(a * scale * (rng.chance(0.5) ? -1 : 1));
  }
  x[static_cast<size_t>(rng.range(0, 31))] = static_cast<float>(1.5 * std::ldexp(1.0, p.emax + se));
  return x;
}

TEST(Mx, AgreesWithIndependentReferenceOnRandomTensors) {
  for (const MxParams& p : kMxParams) {
    SCOPED_TRACE(p.name);
    Rng rng(std::hash<std::string>{}(p.name));
    int64_t count = 0;
    for (int t = 0; t < 1500; ++t) {
      Shape shape;
      const int rank = rng.range(1, 3);
      for (int d = 0; d < rank; ++d) shape.push_back(rng.range(1, rank == 1 ? 700 : rank == 2 ? 64 : 24));
      int axis = rng.range(0, rank - 1);
      size_t n = static_cast<size_t>(num_elements(shape));
      std::vector<float> x;
      if (rng.chance(0.3)) {  // tie blocks along the last axis
        shape = {rng.range(1, 16), 32 * rng.range(1, 4)};
        axis = 1;
        while (x.size() < static_cast<size_t>(num_elements(shape))) {
          const int se = rng.chance(0.2) ? -127 : rng.range(-120, 120);
          const auto b = tie_block(rng, p, se);
          x.insert(x.end(), b.begin(), b.end());
        }
      } else {
        while (x.size() < n) {
          const auto chunk = testing::adversarial_values(rng, std::min<size_t>(n - x.size(), rng.range(1, 80)),
                                                         rng.chance(0.3) ? 0.01 : 0.0);
          x.insert(x.end(), chunk.begin(), chunk.end());
        }
      }
      n = x.size();
      const auto ref = testing::reference_tensor(x, shape, axis, 32, {}, [&](const float* blk) {
        return testing::mx_reference_block(p, blk);
      });
      const Packed packed = encode(parse_format(p.name), x.data(), shape, axis);
      ASSERT_EQ(packed.data, ref.packed) << "tensor " << t;
      std::vector<float> d(n);
      decode(packed, d.data());
      const std::vector<float> out = fq(p.name, x, shape, axis);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(same_bits(out[i], ref.values[i]))
            << "tensor " << t << " element " << i << " x = " << x[i] << ": " << out[i] << " vs " << ref.values[i];
        ASSERT_TRUE(same_bits(d[i], out[i]));
      }
      count += static_cast<int64_t>(n);
    }
    EXPECT_GT(count, 1000000);
  }
}

}  // namespace
}  // namespace hifloat
