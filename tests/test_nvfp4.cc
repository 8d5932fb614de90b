// nvfp4 (spec/BASELINES.md §2) and nvfp4:tensor_scale=off (§3).
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "nvmx_inputs.h"
#include "nvmx_reference.h"

namespace hifloat {
namespace {

using testing::Rng;

const FormatSpec kOn = parse_format("nvfp4");
const FormatSpec kOff = parse_format("nvfp4:tensor_scale=off");

// Bit-identical, except that any NaN equals any NaN.
bool same_bits(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

std::vector<float> fq(const FormatSpec& f, const std::vector<float>& x, const Shape& shape, int axis) {
  std::vector<float> out(x.size());
  fake_quant(f, x.data(), shape, axis, out.data());
  return out;
}

// §2/§3 worked example input, shape (2, 16).
std::vector<float> worked_example_input() {
  std::vector<float> x(32, 0.0f);
  const float row0[] = {0.3f, -1.7f, 2.5f, 5.0f, 7.9f, -0.24f};
  const float row1[] = {100.0f, -20.0f, 3.0f, 0.01f};
  std::copy(std::begin(row0), std::end(row0), x.begin());
  std::copy(std::begin(row1), std::end(row1), x.begin() + 16);
  return x;
}

TEST(Nvfp4, WorkedExampleSection2) {
  const std::vector<float> x = worked_example_input();
  const Packed p = encode(kOn, x.data(), {2, 16}, 1);
  const std::vector<uint8_t> expect = {0x86, 0x61, 0x18, 0x3D,                                      // g
                                       0x61, 0xB0, 0x64, 0x87, 0x00, 0x00, 0x00, 0x00, 0x00,        // block 0
                                       0x7E, 0xA7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};      // block 1
  EXPECT_EQ(p.data, expect);
  EXPECT_EQ(std::bit_cast<uint32_t>(0.03720238f), 0x3D186186u);  // g as printed in the spec
  std::vector<float> out(32);
  decode(p, out.data());
  const float row0[] = {0.0f, -2.0089285f, 2.6785715f, 5.357143f, 8.035714f, -0.0f};
  const float row1[] = {100.0f, -16.666666f, 0.0f, 0.0f};
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(same_bits(out[i], row0[i])) << i << ": " << out[i];
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(same_bits(out[16 + i], row1[i])) << i << ": " << out[16 + i];
  for (int i = 6; i < 16; ++i) EXPECT_TRUE(same_bits(out[i], 0.0f));
  for (int i = 20; i < 32; ++i) EXPECT_TRUE(same_bits(out[i], 0.0f));
  EXPECT_EQ(fq(kOn, x, {2, 16}, 1), out);
  EXPECT_DOUBLE_EQ(p.bits_per_value(), 4.5 + 32.0 / 32);
}

TEST(Nvfp4, WorkedExampleSection3TensorScaleOff) {
  const std::vector<float> x = worked_example_input();
  const Packed p = encode(kOff, x.data(), {2, 16}, 1);
  const std::vector<uint8_t> expect = {0x3B, 0xA0, 0x64, 0x87, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x58, 0xA7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(p.data, expect);
  std::vector<float> out(32);
  decode(p, out.data());
  const float row0[] = {0.0f, -1.375f, 2.75f, 5.5f, 8.25f, -0.0f};
  const float row1[] = {96.0f, -16.0f, 0.0f, 0.0f};
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(same_bits(out[i], row0[i])) << i << ": " << out[i];
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(same_bits(out[16 + i], row1[i])) << i << ": " << out[16 + i];
  EXPECT_DOUBLE_EQ(p.bits_per_value(), 4.5);
}

TEST(Nvfp4, PackedSizes) {
  const auto on = make_codec(kOn), off = make_codec(kOff);
  EXPECT_EQ(on->packed_bytes({2, 16}, 1), 4u + 2 * 9);
  EXPECT_EQ(off->packed_bytes({2, 16}, 1), 2u * 9);
  EXPECT_EQ(off->packed_bytes({3, 17}, 1), 3u * 2 * 9);  // tails padded to 2 blocks
  EXPECT_EQ(off->packed_bytes({3, 17}, 0), 17u * 1 * 9);
  EXPECT_EQ(on->packed_bytes({0, 16}, 1), 4u);  // the header is always there
}

// §1 E4M3 value of a non-negative code, straight from the formula.
double e4m3_value(int c) {
  const int field = c >> 3, m = c & 7;
  return field == 0 ? m / 8.0 * 0x1p-6 : (1 + m / 8.0) * std::pow(2.0, field - 7);
}
const double kE2M1[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};  // §1

// The fp32 header g (little-endian) followed by `rec`.
std::vector<uint8_t> with_header(uint32_t g, const std::vector<uint8_t>& rec) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(g >> (8 * i)));
  for (uint8_t b : rec) bytes.push_back(b);
  return bytes;
}

std::vector<float> decode_one_record(const FormatSpec& f, const std::vector<uint8_t>& bytes) {
  Packed p;
  p.format = f;
  p.shape = {16};
  p.axis = 0;
  p.data = bytes;
  std::vector<float> out(16);
  decode(p, out.data());
  return out;
}

TEST(Nvfp4, EveryScaleAndElementCodeDecodesPerSpec) {
  const float gs[] = {1.0f, 0.03720238f, 0x1p-149f, 3e38f / 2688.0f, 1e-30f};
  for (int sc = 0; sc <= 0x7F; ++sc) {
    for (int c = 0; c < 16; ++c) {
      std::vector<uint8_t> rec(9, static_cast<uint8_t>(c | c << 4));
      rec[0] = static_cast<uint8_t>(sc);
      const double mag = kE2M1[c & 7];
      // tensor_scale=off: x̂ = ±q·S, exact in fp32.
      for (float v : decode_one_record(kOff, rec)) {
        if (sc == 0x7F) {
          EXPECT_TRUE(std::isnan(v));
          continue;
        }
        const double expect = (c & 8) ? -(mag * e4m3_value(sc)) : mag * e4m3_value(sc);
        ASSERT_TRUE(same_bits(v, static_cast<float>(expect))) << "scale " << sc << " code " << c << ": " << v;
      }
      // tensor_scale=on: x̂ = RN32(q × RN32(g × s)).
      for (float g : gs) {
        for (float v : decode_one_record(kOn, with_header(std::bit_cast<uint32_t>(g), rec))) {
          if (sc == 0x7F) {
            EXPECT_TRUE(std::isnan(v));
            continue;
          }
          const float T = g * static_cast<float>(e4m3_value(sc));
          const float q = static_cast<float>(mag);
          const float expect = (c & 8) ? -(q * T) : q * T;
          ASSERT_TRUE(same_bits(v, expect)) << "g " << g << " scale " << sc << " code " << c << ": " << v;
        }
      }
    }
  }
}

TEST(Nvfp4, InvalidPackedDataIsAnError) {
  std::vector<uint8_t> rec(9, 0);
  for (int sc : {0x80, 0x88, 0xFE, 0xFF}) {
    rec[0] = static_cast<uint8_t>(sc);
    EXPECT_THROW(decode_one_record(kOff, rec), Error) << sc;
  }
  rec[0] = 0x38;
  for (uint32_t g : {0x00000000u, 0x80000000u, 0xBF800000u, 0x7F800000u, 0x7FC00000u}) {
    EXPECT_THROW(decode_one_record(kOn, with_header(g, rec)), Error) << std::hex << g;
  }
  EXPECT_THROW(decode_one_record(kOn, rec), Error);  // 9 bytes: header missing
}

TEST(Nvfp4, SpecialValues) {
  // NaN makes its own block NaN and is left out of amax_t; Inf is left out of
  // amax_t, gets s = 448 and saturates to ±6·T.
  std::vector<float> x(48, 0.0f);
  x[0] = 1.0f;
  x[1] = NAN;
  x[16] = INFINITY;
  x[17] = -2.0f;
  x[32] = -0.0f;
  x[33] = 3.0f;
  const Packed p = encode(kOn, x.data(), {48}, 0);
  const float g = 3.0f / 2688.0f;
  EXPECT_EQ(std::bit_cast<uint32_t>(g), p.data[0] | p.data[1] << 8 | p.data[2] << 16 | uint32_t{p.data[3]} << 24);
  EXPECT_EQ(p.data[4], 0x7F);
  for (int i = 5; i < 13; ++i) EXPECT_EQ(p.data[i], 0);
  EXPECT_EQ(p.data[13], 0x7E);  // s = 448
  std::vector<float> out(48);
  decode(p, out.data());
  for (int i = 0; i < 16; ++i) EXPECT_TRUE(std::isnan(out[i]));
  const float T = g * 448.0f;
  EXPECT_EQ(out[16], 6.0f * T);
  EXPECT_TRUE(same_bits(out[32], -0.0f));
  EXPECT_EQ(p.data[22], 0x7E);  // block 2: bmax = amax_t gives s_raw ≈ 448
  EXPECT_EQ(out[33], 6.0f * T);

  // All-zero tensor: g = 1, every s = 2^-6 (code 0x08), −0 kept.
  std::vector<float> z = {0.0f, -0.0f, 0.0f};
  const Packed pz = encode(kOn, z.data(), {3}, 0);
  EXPECT_EQ(pz.data, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3F, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0}));
  const std::vector<float> oz = fq(kOn, z, {3}, 0);
  EXPECT_TRUE(same_bits(oz[1], -0.0f) && same_bits(oz[0], 0.0f));
  // Only NaN/Inf: amax_t = 0, g = 1.
  std::vector<float> inf = {INFINITY, -INFINITY};
  const Packed pi = encode(kOn, inf.data(), {2}, 0);
  EXPECT_EQ(pi.data[3], 0x3F);
  EXPECT_EQ(pi.data[4], 0x7E);
  EXPECT_EQ(fq(kOn, inf, {2}, 0), (std::vector<float>{6 * 448.0f, -6 * 448.0f}));

  // tensor_scale=off: Inf gives S = 448 and ±2688; tiny blocks get S = 0 and ±0.
  std::vector<float> y = {-INFINITY, 1000.0f, 0x1p-13f, -0x1p-14f};
  const std::vector<float> oy = fq(kOff, y, {4}, 0);  // 1000/448 = 2.23 rounds to q = 2
  EXPECT_EQ(oy, (std::vector<float>{-2688.0f, 896.0f, 0.0f, -0.0f}));
  EXPECT_TRUE(std::signbit(oy[3]));
  const std::vector<float> tiny = fq(kOff, {0x1p-13f, -0x1p-14f}, {2}, 0);  // sf ≤ 2^-10 gives S = 0
  EXPECT_TRUE(same_bits(tiny[0], 0.0f) && same_bits(tiny[1], -0.0f));
  EXPECT_EQ(encode(kOff, std::vector<float>{0x1p-13f}.data(), {1}, 0).data[0], 0x00);
  // Subnormal scales have the step 2^-9: sf = 0.75·2^-9 rounds up to 2^-9
  // (code 0x01); sf = 2^-10 is a tie and goes to the even code 0x00.
  EXPECT_EQ(encode(kOff, std::vector<float>{6 * 0x1.8p-10f}.data(), {1}, 0).data[0], 0x01);
  EXPECT_EQ(encode(kOff, std::vector<float>{6 * 0x1p-10f}.data(), {1}, 0).data[0], 0x00);
  EXPECT_EQ(encode(kOff, std::vector<float>{6 * 0x1.8p-9f}.data(), {1}, 0).data[0], 0x02);  // 1.5 steps: tie to even

  // g < 2^-143: T = g·2^-6 is 0 and small blocks encode as zeros.
  std::vector<float> t(32, 0.0f);
  t[0] = 0x1p-138f;   // g rounds to 2^-149
  t[16] = 0x1p-149f;  // its block: s = 2^-6, T = 0
  t[17] = -0x1p-149f;
  const std::vector<float> ot = fq(kOn, t, {32}, 0);
  EXPECT_TRUE(same_bits(ot[16], 0.0f) && same_bits(ot[17], -0.0f));
}

// Tensors of random kinds, encoded by the library and by the independent
// reference of nvmx_reference.h: bytes and values must agree bit for bit.
void check_against_reference(const FormatSpec& f, bool tensor_scale, uint64_t seed, int tensors, int64_t* count) {
  Rng rng(seed);
  for (int t = 0; t < tensors; ++t) {
    Shape shape;
    const int rank = rng.range(1, 3);
    for (int d = 0; d < rank; ++d) shape.push_back(rng.range(1, rank == 1 ? 300 : 40));
    int axis = rng.range(0, rank - 1);
    size_t n = static_cast<size_t>(num_elements(shape));
    // Lines mix the kinds: build the tensor in chunks of random kinds.
    std::vector<float> x;
    while (x.size() < n) {
      const auto chunk = testing::adversarial_values(rng, std::min<size_t>(n - x.size(), rng.range(1, 48)),
                                                     rng.chance(0.3) ? 0.02 : 0.0);
      x.insert(x.end(), chunk.begin(), chunk.end());
    }
    if (rng.chance(0.2)) {
      // E2M1 ties: blocks along axis 1 whose maximum 6·s·2^j makes the block
      // scale exactly s and T = s·2^j, and whose other elements are ±mid·T.
      // One block with s = 448 makes g = 2^j exactly (j = 0 without tensor scale).
      const int j = tensor_scale ? rng.range(-20, 20) : 0;
      const int blocks = rng.range(1, 4);
      shape = {rng.range(1, 8), 16 * blocks};
      axis = 1;
      x.assign(static_cast<size_t>(num_elements(shape)), 0.0f);
      const double mids[] = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 0.5, 3, 6};
      for (size_t b = 0; b < x.size(); b += 16) {
        const double T = e4m3_value(b == 0 ? 0x7E : rng.range(0x08, 0x7E)) * std::ldexp(1.0, j);
        for (size_t i = 0; i < 16; ++i) {
          const double m = i == 0 ? 6 : mids[rng.range(0, 9)];
          x[b + i] = static_cast<float>(m * T * (rng.chance(0.5) ? -1 : 1));
        }
      }
    }
    n = x.size();
    std::vector<uint8_t> header;
    const float g = testing::nvfp4_tensor_scale(x);
    if (tensor_scale) {
      for (int i = 0; i < 4; ++i) header.push_back(static_cast<uint8_t>(std::bit_cast<uint32_t>(g) >> (8 * i)));
    }
    const auto ref = testing::reference_tensor(x, shape, axis, 16, header, [&](const float* blk) {
      return testing::nvfp4_reference_block(blk, tensor_scale, g);
    });
    const Packed p = encode(f, x.data(), shape, axis);
    ASSERT_EQ(p.data, ref.packed) << "tensor " << t;
    std::vector<float> dec(n);
    decode(p, dec.data());
    const std::vector<float> out = fq(f, x, shape, axis);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(same_bits(out[i], ref.values[i]))
          << "tensor " << t << " element " << i << " x = " << x[i] << ": " << out[i] << " vs " << ref.values[i];
      ASSERT_TRUE(same_bits(dec[i], out[i]));
    }
    *count += static_cast<int64_t>(n);
  }
}

TEST(Nvfp4, AgreesWithIndependentReferenceOnRandomTensors) {
  int64_t count = 0;
  check_against_reference(kOn, true, 1, 3000, &count);
  EXPECT_GT(count, 1000000);
}

TEST(Nvfp4, TensorScaleOffAgreesWithIndependentReferenceOnRandomTensors) {
  int64_t count = 0;
  check_against_reference(kOff, false, 2, 3000, &count);
  EXPECT_GT(count, 1000000);
}

// §2 step 2: s_raw = RN32(RN32(bmax/6)/g). Other orders (bmax/(6g), or a
// reciprocal encode scale as in TransformerEngine) differ in the last bit of
// s_raw, which matters when s_raw is next to an E4M3 midpoint. Search such
// blocks and check the scale code follows the spec's order.
TEST(Nvfp4, BlockScaleFollowsTheSpecsDivisionOrder) {
  Rng rng(7);
  int differing = 0;
  for (int trial = 0; trial < 200000 && differing < 300; ++trial) {
    const float amax_t = static_cast<float>(std::ldexp(1.0 + rng.uniform(), rng.range(-60, 60)));
    const float g = amax_t / 2688.0f;
    const int c = rng.range(0x08, 0x7D);
    const double mid = (e4m3_value(c) + e4m3_value(c + 1)) / 2;
    const float base = static_cast<float>(6.0 * g * mid);
    const float bmax = std::bit_cast<float>(std::bit_cast<uint32_t>(base) + static_cast<uint32_t>(rng.range(-3, 3)));
    if (!(bmax <= amax_t)) continue;
    const float spec_order = (bmax / 6.0f) / g;
    const float other_orders[] = {bmax / (6.0f * g), (bmax / 6.0f) * (1.0f / g),
                                  (bmax / 6.0f) * (2688.0f / amax_t)};  // the last: an encode scale as in TE
    const int expect = testing::e4m3_grid().nearest(spec_order).code;
    bool differs = false;
    for (float o : other_orders) differs = differs || testing::e4m3_grid().nearest(o).code != expect;
    if (!differs) continue;
    ++differing;
    std::vector<float> x(32, 0.0f);
    x[0] = amax_t;
    x[16] = bmax;
    const Packed p = encode(kOn, x.data(), {2, 16}, 1);
    ASSERT_EQ(p.data[4 + 9], expect) << "amax_t " << amax_t << " bmax " << bmax;
  }
  EXPECT_GT(differing, 100);
}

// Every E4M3 scale boundary: sf at and around each midpoint of the E4M3 grid
// (subnormal steps included), through the tensor_scale=off path.
TEST(Nvfp4, TensorScaleOffScaleRoundingAtEveryE4M3Midpoint) {
  for (int c = 0; c < 0x7E; ++c) {
    const float mid = static_cast<float>((e4m3_value(c) + e4m3_value(c + 1)) / 2);
    for (int d = -2; d <= 2; ++d) {
      const float sf = std::bit_cast<float>(std::bit_cast<uint32_t>(mid) + static_cast<uint32_t>(d));
      const float bmax = sf * 6.0f;  // sf = RN32(bmax / 6) need not equal sf: recompute it
      const float sf_real = bmax / 6.0f;
      const int expect = testing::e4m3_grid().nearest(sf_real).code;
      ASSERT_EQ(encode(kOff, &bmax, {1}, 0).data[0], expect) << "code " << c << " d " << d;
    }
  }
}

}  // namespace
}  // namespace hifloat
