// The HiFloat4 family fast paths (src/kernels/hif4_kernels.cc) against the
// scalar reference codec (src/formats/hif4.cc) bit for bit, through the tensor
// API: every SIMD target this CPU supports, 1/2/7 threads, all four members,
// rounding away and even (stochastic falls back to the codec), adversarial
// units (ties, the 0x3EFFFFFF artefact, NaN/Inf units, +-0, subnormals, scale
// clamps), odd tails, unaligned pointers and every axis of 3-D tensors.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "kernel_test_util.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::kThreadCounts;

const char* const kMembers[] = {"hif4", "hifx2", "hifx3", "hifx5"};

std::vector<std::string> fast_formats() {
  std::vector<std::string> out;
  for (const char* m : kMembers) {
    out.push_back(std::string(m));
    out.push_back(std::string(m) + ":rounding=even");
  }
  return out;
}

float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

// Units (64 values each) that hit the special cases of §4-§5.
std::vector<float> adversarial_units(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v;
  auto unit = [&](auto gen) {
    for (int i = 0; i < 64; ++i) v.push_back(gen(i));
  };
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Small multiples of a power of two: with f = 0 scales R is a power of two
  // and many t land exactly on k + 0.5.
  for (int e = -60; e <= 20; e += 3) {
    unit([&](int) { return std::ldexp(static_cast<float>(static_cast<int>(rng() % 255) - 127), e - 4); });
    unit([&](int) { return std::ldexp(static_cast<float>(rng() % 16) + 0.5f, e); });
  }
  // The 0x3EFFFFFF artefact for every member: max 7 gives S = 1 and R = 1, so
  // element 8 (sh = 0) has t = 2^(m-1) * x; x = 0x3EFFFFFF / 2^(m-1) for m = 1..4.
  for (int m = 1; m <= 4; ++m) {
    unit([&](int i) {
      if (i == 0) return 7.0f;
      if (i == 8) return from_bits(0x3EFFFFFFu - (static_cast<uint32_t>(m - 1) << 23));
      if (i == 9) return -from_bits(0x3EFFFFFFu - (static_cast<uint32_t>(m - 1) << 23));
      return 0.0f;
    });
  }
  // NaN anywhere, Inf units, NaN next to Inf.
  for (int pos : {0, 4, 31, 63}) unit([&](int i) { return i == pos ? nan : 1.0f + static_cast<float>(i); });
  unit([&](int i) { return i == 0 ? inf : (i == 1 ? 1000.0f : (i == 8 ? -30000.0f : (i == 9 ? 20000.0f : 0.0f))); });
  unit([&](int i) { return i % 7 == 0 ? -inf : static_cast<float>(i); });
  unit([&](int i) { return i == 5 ? inf : (i == 6 ? -nan : 0.0f); });
  // Zeros of both signs, an all -0 unit, and a lone -0.
  unit([&](int) { return 0.0f; });
  unit([&](int) { return -0.0f; });
  unit([&](int i) { return i == 5 ? -0.0f : (i == 20 ? 3.0f : 0.0f); });
  // Subnormals (scale clamps at 2^-48), the smallest normals, huge values (clamp at 49152).
  unit([&](int) { return from_bits((rng() & 0x80000000u) | (rng() & 0x007FFFFFu)); });
  unit([&](int) { return from_bits((rng() & 0x80000000u) | (0x00800000u + (rng() & 0x00FFFFFFu))); });
  unit([&](int) { return from_bits((rng() & 0x80000000u) | (0x7E000000u + (rng() & 0x017FFFFFu))); });
  unit([&](int i) { return i == 3 ? std::numeric_limits<float>::max() : 1.0f; });
  unit([&](int i) { return i == 3 ? 0x1p-40f : 0x1p-60f * static_cast<float>(i); });
  // Around the clamps: maxima near 49152 * 7 and 2^-48 * 7.
  for (float M : {344064.0f, 344000.0f, 350000.0f, 7.0f * 0x1p-48f, 6.9f * 0x1p-48f, 0x1p-50f}) {
    unit([&](int i) { return i == 0 ? M : M * static_cast<float>(i % 13) / 13.0f * (i % 2 ? -1.0f : 1.0f); });
  }
  // Flag thresholds: group maxima around 4/R and 2/R.
  for (int k = 0; k < 6; ++k) {
    const float M = 7.0f;  // S = 1, R = 1
    unit([&](int i) {
      if (i == 0) return M;
      const float base = (i / 8) % 2 ? 4.0f : 2.0f;
      return std::nextafter(base, (i % 3) ? 0.0f : 10.0f) * (k % 2 ? 1.0f : 0.5f);
    });
  }
  // Gaussian data with a random scale per unit.
  std::normal_distribution<float> gauss;
  for (int u = 0; u < 64; ++u) {
    const int e = static_cast<int>(rng() % 50) - 30;
    unit([&](int) { return std::ldexp(gauss(rng), e); });
  }
  return v;
}

// Random float32 data: mostly finite with a random scale per unit, some raw
// bit patterns (which make NaN and Inf units).
std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss;
  std::vector<float> v(n);
  int e = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 64 == 0) e = static_cast<int>(rng() % 40) - 20;
    if (rng() % 4096 == 0) v[i] = from_bits(rng());
    else v[i] = std::ldexp(gauss(rng), e);
  }
  return v;
}

::testing::AssertionResult same_floats(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const uint32_t a = std::bit_cast<uint32_t>(got[i]), b = std::bit_cast<uint32_t>(want[i]);
    if (a != b) return ::testing::AssertionFailure() << "element " << i << ": got " << hex(a) << ", want " << hex(b);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_bytes(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      return ::testing::AssertionFailure() << "byte " << i << ": got " << hex(got[i]) << ", want " << hex(want[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

// Encode, decode and fake-quant of x (shape, axis) on every target and thread
// count equal the reference codec's, bytes and values.
void check_tensor(const std::string& fmt, const float* x, const Shape& shape, int axis,
                  const std::vector<int>& threads = kThreadCounts) {
  SCOPED_TRACE(fmt + " axis " + std::to_string(axis));
  const FormatSpec spec = parse_format(fmt);
  const size_t n = static_cast<size_t>(num_elements(shape));
  const Packed ref = encode(spec, x, shape, axis, ExecOptions{1, true});
  std::vector<float> ref_dec(n), ref_fq(n);
  decode(ref, ref_dec.data(), ExecOptions{1, true});
  fake_quant(spec, x, shape, axis, ref_fq.data(), ExecOptions{1, true});
  for_each_target([&](int64_t) {
    for (int t : threads) {
      SCOPED_TRACE("threads " + std::to_string(t));
      const Packed fast = encode(spec, x, shape, axis, ExecOptions{t, false});
      ASSERT_TRUE(same_bytes(fast.data, ref.data));
      std::vector<float> dec(n), fq(n);
      decode(ref, dec.data(), ExecOptions{t, false});
      fake_quant(spec, x, shape, axis, fq.data(), ExecOptions{t, false});
      ASSERT_TRUE(same_floats(dec, ref_dec));
      ASSERT_TRUE(same_floats(fq, ref_fq));
    }
  });
}

TEST(Hif4Kernels, ArtefactUnitFollowsTheSpecForRoundingAway) {
  // §5 step 9: t = 0x3EFFFFFF gives q = 1 with rounding=away, 0 with even.
  for (int m = 1; m <= 4; ++m) {
    std::vector<float> x(64, 0.0f);
    x[0] = 7.0f;
    x[8] = from_bits(0x3EFFFFFFu - (static_cast<uint32_t>(m - 1) << 23));
    const std::string name = kMembers[m == 3 ? 0 : (m == 1 ? 1 : (m == 2 ? 2 : 3))];
    std::vector<float> away(64), even(64);
    fake_quant(parse_format(name), x.data(), {64}, 0, away.data(), ExecOptions{1, false});
    fake_quant(parse_format(name + ":rounding=even"), x.data(), {64}, 0, even.data(), ExecOptions{1, false});
    EXPECT_EQ(away[8], std::ldexp(1.0f, 1 - m)) << name;  // q = 1: 1/2^(m-1) * S, S = 1
    EXPECT_EQ(even[8], 0.0f) << name;
  }
}

TEST(Hif4Kernels, AdversarialUnitsEveryMember) {
  const std::vector<float> x = adversarial_units(3);
  const Shape shape = {static_cast<int64_t>(x.size())};
  for (const std::string& fmt : fast_formats()) check_tensor(fmt, x.data(), shape, 0);
}

TEST(Hif4Kernels, LargeRandomArraysEveryMember) {
  // Large enough that 7 threads each get a range.
  const std::vector<float> x = random_floats(64 * 4000 + 37, 5);
  for (const std::string& fmt : fast_formats()) {
    check_tensor(fmt, x.data(), {static_cast<int64_t>(x.size())}, 0);
    check_tensor(fmt, x.data(), {1000, 256}, -1);
    check_tensor(fmt, x.data(), {1000, 256}, 0);
  }
}

TEST(Hif4Kernels, OddTailsAndUnalignedPointers) {
  const std::vector<float> pool = adversarial_units(9);
  for (const std::string& fmt : {std::string("hif4"), std::string("hifx3:rounding=even"), std::string("hifx5"),
                                 std::string("hifx2:rounding=even")}) {
    for (size_t offset : {size_t{0}, size_t{1}, size_t{3}}) {
      for (int64_t len : {1, 2, 5, 63, 64, 65, 127, 129, 200}) {
        check_tensor(fmt, pool.data() + offset, {3, len}, 1, {1, 2});
      }
    }
  }
}

TEST(Hif4Kernels, ThreeDimensionalTensorsEveryAxis) {
  const std::vector<float> pool = adversarial_units(11);
  for (const std::string& fmt : fast_formats()) {
    for (const Shape& shape : {Shape{5, 67, 3}, Shape{3, 4, 130}, Shape{70, 2, 9}, Shape{1, 1, 1}}) {
      for (int axis = 0; axis < 3; ++axis) check_tensor(fmt, pool.data() + 1, shape, axis);
    }
  }
  check_tensor("hif4", pool.data(), Shape{}, 0);  // 0-d
  check_tensor("hif4", pool.data(), Shape{4, 0, 3}, 1);
}

TEST(Hif4Kernels, LargeTensorAlongFirstAxisThreads) {
  const std::vector<float> x = random_floats(300 * 1000, 17);
  for (const std::string& fmt : {std::string("hif4"), std::string("hifx5:rounding=even")}) {
    check_tensor(fmt, x.data(), {300, 1000}, 0);
    check_tensor(fmt, x.data(), {300, 10, 100}, 1);
  }
}

// Decoding arbitrary bytes (scale codes 0x00..0xFF, flags the quantiser never
// writes, NaN units with junk payload) equals the reference.
TEST(Hif4Kernels, DecodeArbitraryBytes) {
  std::mt19937 rng(23);
  for (const char* member : kMembers) {
    const FormatSpec spec = parse_format(member);
    const Shape shape = {7, 64 * 40 + 5};
    Packed p = encode(spec, std::vector<float>(static_cast<size_t>(num_elements(shape))).data(), shape, 1);
    for (size_t i = 0; i < p.data.size(); ++i) p.data[i] = static_cast<uint8_t>(rng());
    const size_t unit = p.data.size() / (7 * 41);
    for (size_t u = 0; u < 256 && u * unit < p.data.size(); ++u) p.data[u * unit] = static_cast<uint8_t>(u);
    std::vector<float> want(static_cast<size_t>(num_elements(shape)));
    decode(p, want.data(), ExecOptions{1, true});
    for_each_target([&](int64_t) {
      for (int t : kThreadCounts) {
        std::vector<float> got(want.size());
        decode(p, got.data(), ExecOptions{t, false});
        ASSERT_TRUE(same_floats(got, want)) << member << " threads " << t;
      }
    });
  }
}

TEST(Hif4Kernels, StochasticFallsBackToTheReference) {
  const std::vector<float> x = adversarial_units(13);
  check_tensor("hif4:rounding=stochastic,seed=7", x.data(), {static_cast<int64_t>(x.size())}, 0, {1, 2});
}

TEST(Hif4Kernels, WrongPackedSizeThrows) {
  const std::vector<float> x(130, 1.0f);
  Packed p = encode(parse_format("hifx3"), x.data(), {130}, 0);
  p.data.pop_back();
  std::vector<float> out(130);
  EXPECT_THROW(decode(p, out.data()), Error);
}

}  // namespace
}  // namespace hifloat
