// Second, independent test set for the HiFloat4 family fast paths (the first
// is test_kernels_hif4.cc) with emphasis on every blocking axis and all three
// rounding modes: the fast paths (src/kernels/hif4_kernels.cc, reached through
// hifloat::encode / decode / fake_quant) against the scalar reference codec
// (src/formats/hif4.cc, ExecOptions::reference) bit for bit: packed bytes,
// decoded values and fake-quant values, for hif4/hifx2/hifx3/hifx5, rounding
// away/even/stochastic (two seeds), every SIMD target this CPU supports, 1, 2
// and 7 threads, blocking along the last axis and along every other axis of
// 1-D, 2-D and 3-D tensors with odd tails, and unaligned pointers.
//
// Inputs are built unit by unit to hit every branch: ties t = k + 0.5 and the
// 0x3EFFFFFF artefact at the scale S = 1 (R = 1), NaN and +-Inf units, +-0,
// subnormals, FLT_MAX, scales clamped at 2^-48 and 49152, values at the flag
// thresholds, plus Gaussian units over a wide range of scales and random
// finite bit patterns.
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
#include "hifloat/format.h"
#include "kernel_test_util.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::kThreadCounts;

constexpr ExecOptions kReference{1, true};

const std::vector<std::string>& formats_under_test() {
  static const std::vector<std::string> f = [] {
    std::vector<std::string> out;
    for (const char* name : {"hif4", "hifx2", "hifx3", "hifx5"}) {
      for (const char* r : {"rounding=away", "rounding=even", "rounding=stochastic",
                            "rounding=stochastic,seed=18446744073709551557"}) {
        out.push_back(std::string(name) + ":" + r);
      }
    }
    return out;
  }();
  return f;
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// Compares float arrays bit for bit (the fast path must equal the reference
// exactly, including the sign of zero and the NaN pattern).
::testing::AssertionResult same_floats(const float* got, const float* want, size_t n, const float* in) {
  for (size_t i = 0; i < n; ++i) {
    const uint32_t g = std::bit_cast<uint32_t>(got[i]), w = std::bit_cast<uint32_t>(want[i]);
    if (g != w) {
      return ::testing::AssertionFailure() << "element " << i << " (input " << hex(std::bit_cast<uint32_t>(in[i]))
                                           << "): got " << hex(g) << ", want " << hex(w);
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_bytes(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      return ::testing::AssertionFailure() << "byte " << i << ": got " << int(got[i]) << ", want " << int(want[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

// One adversarial 64-value unit of kind `kind` (see the file comment).
void make_unit(int kind, std::mt19937& rng, float* u) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pos(0, 63);
  const float inf = std::numeric_limits<float>::infinity();
  for (int i = 0; i < 64; ++i) u[i] = 0.0f;
  switch (kind) {
    case 0: {  // Gaussian at a random scale 2^-70 .. 2^40
      const int e = static_cast<int>(rng() % 111) - 70;
      for (int i = 0; i < 64; ++i) u[i] = std::ldexp(normal(rng), e);
      break;
    }
    case 1: {  // S = 1, R = 1 (M = 7 in group 7): element magnitudes on ties and grid points of every member
      u[63] = 7.0f;
      for (int i = 0; i < 56; ++i) {
        const int k = static_cast<int>(rng() % 33);
        const float v = std::ldexp(static_cast<float>(k), -4);  // multiples of 1/16 up to 2: ties for m = 1..4
        u[i] = (rng() & 1) ? -v : v;
      }
      // The 0x3EFFFFFF artefact: t = 0.5 - 2^-25 for each member (a = t / 2^(m-1)), and its neighbours.
      const int m = 1 + static_cast<int>(rng() % 4);
      u[pos(rng) % 56] = std::ldexp(std::bit_cast<float>(0x3EFFFFFFu), 1 - m);
      u[pos(rng) % 56] = std::ldexp(std::bit_cast<float>(0x3F000000u), 1 - m);
      u[pos(rng) % 56] = std::ldexp(std::bit_cast<float>(0x3F000001u), 1 - m);
      u[pos(rng) % 56] = -std::ldexp(std::bit_cast<float>(0x3EFFFFFFu), 1 - m);
      break;
    }
    case 2: {  // one NaN anywhere (with or without Inf)
      for (int i = 0; i < 64; ++i) u[i] = normal(rng);
      u[pos(rng)] = std::bit_cast<float>(static_cast<uint32_t>(0x7FC00000u | (rng() & 0x3FFFFF) | (rng() & 0x80000000u)));
      if (rng() & 1) u[pos(rng)] = inf;
      break;
    }
    case 3: {  // +-Inf with large finite values (§8.2 shape)
      for (int i = 0; i < 64; ++i) u[i] = std::ldexp(normal(rng), 14);
      u[pos(rng)] = inf;
      if (rng() & 1) u[pos(rng)] = -inf;
      break;
    }
    case 4: {  // zeros, -0, subnormals, tiny: the scale clamps at 2^-48
      for (int i = 0; i < 64; ++i) {
        const uint32_t r = rng() % 4;
        u[i] = r == 0 ? -0.0f : r == 1 ? 0.0f : std::bit_cast<float>(static_cast<uint32_t>(rng() & 0x807FFFFFu));
      }
      if (rng() & 1) u[pos(rng)] = std::ldexp(1.0f, -60 + static_cast<int>(rng() % 20));
      break;
    }
    case 5: {  // huge: the scale clamps at 49152; FLT_MAX saturates
      for (int i = 0; i < 64; ++i) u[i] = std::ldexp(normal(rng), 100);
      u[pos(rng)] = std::numeric_limits<float>::max();
      u[pos(rng)] = -std::numeric_limits<float>::max();
      break;
    }
    case 6: {  // flag thresholds: group maxima near 4/R and 2/R with a fixed unit maximum
      const float M = std::ldexp(1.0f + static_cast<float>(rng() % 128) / 128.0f, static_cast<int>(rng() % 20) - 10);
      u[0] = M;
      for (int j = 1; j < 16; ++j) {
        const float frac = (rng() % 3 == 0) ? 4.0f / 7.0f : (rng() % 2 ? 2.0f / 7.0f : 1.0f / 7.0f);
        const uint32_t b = std::bit_cast<uint32_t>(M * frac) + static_cast<uint32_t>(static_cast<int>(rng() % 9) - 4);
        u[4 * j + static_cast<int>(rng() % 4)] = std::bit_cast<float>(b);
      }
      break;
    }
    case 7: {  // all-zero unit, maybe with -0s
      for (int i = 0; i < 64; ++i) u[i] = (rng() % 5 == 0) ? -0.0f : 0.0f;
      break;
    }
    default: {  // random finite bit patterns
      for (int i = 0; i < 64; ++i) {
        uint32_t b = static_cast<uint32_t>(rng());
        if ((b & 0x7F800000u) == 0x7F800000u) b &= 0xBFFFFFFFu;
        u[i] = std::bit_cast<float>(b);
      }
      break;
    }
  }
}

std::vector<float> adversarial(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v((n + 63) / 64 * 64);
  for (size_t u = 0; u * 64 < v.size(); ++u) make_unit(static_cast<int>(rng() % 9), rng, v.data() + 64 * u);
  v.resize(n);
  return v;
}

// Every fast path on `x` (shape, axis) equals the reference, for every format,
// target and thread count. `x` may be unaligned.
void check_tensor(const float* x, const Shape& shape, int axis) {
  const size_t n = static_cast<size_t>(num_elements(shape));
  for (const std::string& fmt_str : formats_under_test()) {
    SCOPED_TRACE(fmt_str);
    const FormatSpec fmt = parse_format(fmt_str);
    const Packed want = encode(fmt, x, shape, axis, kReference);
    std::vector<float> want_dec(n + 1), want_fq(n + 1);
    decode(want, want_dec.data() + 1, kReference);
    fake_quant(fmt, x, shape, axis, want_fq.data() + 1, kReference);
    for_each_target([&](int64_t) {
      for (int threads : kThreadCounts) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        const ExecOptions exec{threads, false};
        const Packed got = encode(fmt, x, shape, axis, exec);
        ASSERT_TRUE(same_bytes(got.data, want.data));
        // Outputs at an odd offset: unaligned stores; guards stay untouched.
        std::vector<float> dec(n + 2, -7.0f), fq(n + 2, -7.0f);
        decode(want, dec.data() + 1, exec);
        fake_quant(fmt, x, shape, axis, fq.data() + 1, exec);
        ASSERT_TRUE(same_floats(dec.data() + 1, want_dec.data() + 1, n, x)) << "decode";
        ASSERT_TRUE(same_floats(fq.data() + 1, want_fq.data() + 1, n, x)) << "fake_quant";
        ASSERT_EQ(dec[0], -7.0f);
        ASSERT_EQ(dec[n + 1], -7.0f);
        ASSERT_EQ(fq[0], -7.0f);
        ASSERT_EQ(fq[n + 1], -7.0f);
      }
    });
  }
}

TEST(Hif4KernelsAxes, LastAxisLongLineWithOddTail) {
  const std::vector<float> x = adversarial(64 * 700 + 37, 1);
  check_tensor(x.data(), {static_cast<int64_t>(x.size())}, 0);
}

TEST(Hif4KernelsAxes, LastAxisManyShortLinesUnalignedInput) {
  // Lines of 65..130 values at every misalignment: units straddle lines' tails.
  for (int64_t L : {1, 63, 64, 65, 130}) {
    SCOPED_TRACE("L " + std::to_string(L));
    const std::vector<float> x = adversarial(static_cast<size_t>(23 * L + 3), static_cast<uint32_t>(L));
    check_tensor(x.data() + 3, {23, L}, -1);
  }
}

TEST(Hif4KernelsAxes, Axis0Strided) {
  // Columns not a multiple of any vector width; rows with a tail.
  const std::vector<float> x = adversarial(200 * 77 + 1, 2);
  check_tensor(x.data() + 1, {200, 77}, 0);
  const std::vector<float> y = adversarial(128 * 16, 3);
  check_tensor(y.data(), {128, 16}, 0);
}

TEST(Hif4KernelsAxes, ThreeDimensionalEveryAxis) {
  const std::vector<float> x = adversarial(3 * 70 * 19, 4);
  for (int axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    check_tensor(x.data(), {3, 70, 19}, axis);
  }
  const std::vector<float> y = adversarial(2 * 64 * 130, 5);
  for (int axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    check_tensor(y.data(), {2, 64, 130}, axis);
  }
}

TEST(Hif4KernelsAxes, DegenerateShapes) {
  const std::vector<float> x = adversarial(64, 6);
  check_tensor(x.data(), {}, 0);          // 0-d
  check_tensor(x.data(), {1}, 0);
  check_tensor(x.data(), {0}, 0);         // no units
  check_tensor(x.data(), {4, 0, 3}, 1);   // empty axis
  check_tensor(x.data(), {5, 1, 3}, 1);   // axis of length 1, strided
  check_tensor(x.data(), {64, 1}, 0);     // inner = 1 along axis 0
}

// Decoding arbitrary bytes (flags and codes a quantiser never writes, NaN
// scale codes with junk payload) equals the reference decoder.
TEST(Hif4KernelsAxes, DecodeArbitraryBytes) {
  std::mt19937 rng(11);
  for (const char* name : {"hif4", "hifx2", "hifx3", "hifx5"}) {
    SCOPED_TRACE(name);
    const FormatSpec fmt = parse_format(name);
    for (const auto& [shape, axis] : std::vector<std::pair<Shape, int>>{{{1000}, 0}, {{130, 33}, 0}, {{3, 70, 5}, 1}}) {
      const Packed p = testing::random_packed(fmt, shape, axis, rng);
      const size_t n = static_cast<size_t>(num_elements(shape));
      std::vector<float> want(n), got(n);
      decode(p, want.data(), kReference);
      for_each_target([&](int64_t) {
        for (int threads : kThreadCounts) {
          std::fill(got.begin(), got.end(), -7.0f);
          decode(p, got.data(), ExecOptions{threads, false});
          ASSERT_TRUE(same_floats(got.data(), want.data(), n, want.data())) << "threads " << threads;
        }
      });
    }
  }
}

// The spec's worked example (HIF4.md §8.1) through the fast path.
TEST(Hif4KernelsAxes, WorkedExampleBytes) {
  std::vector<float> x(64, 0.0f);
  const float head[16] = {10, -3.3f, 0.7f, 0.05f, 2.2f, 1.9f, -0.45f, 0, 0.9f, -0.3f, 0.12f, 0.6f, 0.01f, -0.02f, 0.03f, 0.04f};
  std::copy(head, head + 16, x.begin());
  x[16] = 5.2f;
  x[40] = -0.26f;
  const std::vector<uint8_t> want = {0xC2, 0x01, 0x11, 0x00, 0xA7, 0x00, 0x33, 0x09, 0x92, 0x20, 0x80, 0x00,
                                     0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  for_each_target([&](int64_t) {
    EXPECT_EQ(encode(parse_format("hif4"), x.data(), {64}, 0).data, want);
    EXPECT_EQ(encode(parse_format("hif4"), x.data(), {64, 1}, 0).data, want);  // strided path, one column
  });
}

}  // namespace
}  // namespace hifloat
