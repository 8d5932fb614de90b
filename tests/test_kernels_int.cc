// The int8 / int4 fast paths (src/kernels/int_kernels.cc) against the scalar
// reference codecs bit for bit, through the public API:
// packed bytes of encode, values of decode and fake_quant, for every SIMD
// target this CPU supports, 1/2/7 threads, every axis of 1-D..3-D tensors
// (blocks along the last axis and strided), odd tails and unaligned pointers,
// on random and adversarial data (NaN lines/groups, ±Inf, ±0, subnormals,
// huge and tiny groups, ties of x/s).
#include <gtest/gtest.h>

#include <bit>
#include <cctype>
#include <cmath>
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

const std::vector<std::string> kFormats = {"int8", "int4", "int4:group=2", "int4:group=6", "int4:group=128"};

float from_bits(uint32_t b) { return std::bit_cast<float>(b); }
uint32_t pow2(int k) { return static_cast<uint32_t>(k + 127) << 23; }

// Blocks of 16 with one "theme" each, so block-level cases (NaN blocks, huge
// and tiny blocks, amax just below a power of two, RNE* artefacts, ties) land
// inside the blocks of every format and axis.
std::vector<float> adversarial(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<float> pool = testing::interesting_floats(4096, seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (size_t b = 0; b < n; b += 16) {
    const int theme = static_cast<int>(rng() % 12);
    const int scale = static_cast<int>(rng() % 60) - 30;
    for (size_t i = b; i < std::min(n, b + 16); ++i) {
      float v = std::ldexp(normal(rng), scale);
      switch (theme) {
        case 0: v = pool[rng() % pool.size()]; break;                       // grid points, ties, specials
        case 1: if (rng() % 8 == 0) v = std::numeric_limits<float>::quiet_NaN(); break;
        case 2: if (rng() % 8 == 0) v = (rng() & 1) ? INFINITY : -INFINITY; break;
        case 3: v = from_bits((rng() & 0x80000000u) | (rng() % 0x00800000u)); break;  // subnormals
        case 4: v = from_bits((rng() & 0x80000000u) | (0x7F000000u + rng() % 0x7FFFFFu)); break;  // huge
        case 5: v = (rng() & 1) ? 0.0f : -0.0f; break;
        case 6: {  // amax within a few ulps below a power of two (the log2 artefact)
          const int k = static_cast<int>(rng() % 250) - 124;
          v = from_bits(pow2(k) - 1 - rng() % 48) * ((rng() & 1) ? 1.0f : -1.0f);
          break;
        }
        case 7: {  // (0.5 - 2^-25)·2^-j next to a power-of-two amax (MX's RNE* case; harmless here)
          if (i == b) v = std::ldexp(1.0f, static_cast<int>(rng() % 16));
          else v = std::ldexp(from_bits(0x3EFFFFFFu), -static_cast<int>(rng() % 20)) * ((rng() & 1) ? 1.0f : -1.0f);
          break;
        }
        case 8: v = std::ldexp(static_cast<float>(static_cast<int>(rng() % 25) - 12) * 0.25f, scale % 8); break;  // ties
        case 9: v = std::ldexp(normal(rng), -140 + static_cast<int>(rng() % 20)); break;  // tiny normal/subnormal mix
        default: break;
      }
      x[i] = v;
    }
  }
  return x;
}

bool same_value(float a, float b) {
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) || (std::isnan(a) && std::isnan(b));
}

struct Case {
  Shape shape;
  int axis;
};

std::vector<Case> cases() {
  std::vector<Case> c;
  for (int64_t n : {1, 2, 15, 16, 17, 31, 32, 33, 100, 1000, 100003}) c.push_back({{n}, 0});
  c.push_back({{}, 0});
  c.push_back({{0, 5}, 1});
  c.push_back({{0, 5}, 0});
  for (const Shape& s : {Shape{37, 50}, Shape{64, 96}, Shape{257, 33}, Shape{5, 33, 7}, Shape{3, 40, 17},
                         Shape{2, 64, 48}, Shape{4, 3, 130}}) {
    for (int a = 0; a < static_cast<int>(s.size()); ++a) c.push_back({s, a});
  }
  return c;
}

std::string describe(const std::string& f, const Case& c) {
  std::string s = f + " shape (";
  for (int64_t d : c.shape) s += std::to_string(d) + ",";
  return s + ") axis " + std::to_string(c.axis);
}

void check_format(const std::string& fmt_str) {
  const FormatSpec fmt = parse_format(fmt_str);
  const ExecOptions ref{1, true};
  uint32_t seed = 1;
  for (const Case& c : cases()) {
    SCOPED_TRACE(describe(fmt_str, c));
    const size_t n = static_cast<size_t>(num_elements(c.shape));
    // One float of offset: every load and store of the kernels is unaligned.
    std::vector<float> xbuf(n + 1);
    const std::vector<float> data = adversarial(n, seed++);
    std::copy(data.begin(), data.end(), xbuf.begin() + 1);
    const float* x = xbuf.data() + 1;
    const Packed want = encode(fmt, x, c.shape, c.axis, ref);
    std::vector<float> want_dec(n), want_fq(n);
    decode(want, want_dec.data(), ref);
    fake_quant(fmt, x, c.shape, c.axis, want_fq.data(), ref);
    for_each_target([&](int64_t) {
      for (int threads : kThreadCounts) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        const Packed got = encode(fmt, x, c.shape, c.axis, {threads, false});
        ASSERT_EQ(got.data.size(), want.data.size());
        for (size_t i = 0; i < want.data.size(); ++i) {
          ASSERT_EQ(got.data[i], want.data[i]) << "packed byte " << i;
        }
        std::vector<float> out(n + 1);
        decode(want, out.data() + 1, {threads, false});
        for (size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(same_value(out[i + 1], want_dec[i]))
              << "decode element " << i << ": got " << out[i + 1] << " want " << want_dec[i];
        }
        fake_quant(fmt, x, c.shape, c.axis, out.data() + 1, {threads, false});
        for (size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(same_value(out[i + 1], want_fq[i]))
              << "fake-quant element " << i << " input " << x[i] << ": got " << out[i + 1] << " want " << want_fq[i];
        }
      }
    });
  }
}

class IntKernels : public ::testing::TestWithParam<std::string> {};

TEST_P(IntKernels, EqualReferenceOnEveryTargetAxisAndThreadCount) { check_format(GetParam()); }

// Decoding arbitrary records (every scale and element code, NaN/Inf codes,
// int8's -128) equals the reference.
TEST_P(IntKernels, DecodeOfRandomRecordsEqualsReference) {
  const FormatSpec fmt = parse_format(GetParam());
  std::mt19937 rng(7);
  for (const Shape& shape : {Shape{4099}, Shape{67, 40}}) {
    for (int axis = 0; axis < static_cast<int>(shape.size()); ++axis) {
      const Packed p = testing::random_packed(fmt, shape, axis, rng);
      const size_t n = p.num_elements();
      std::vector<float> want(n), got(n);
      decode(p, want.data(), {1, true});
      for_each_target([&](int64_t) {
        for (int threads : kThreadCounts) {
          decode(p, got.data(), {threads, false});
          for (size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(same_value(got[i], want[i])) << "element " << i << " threads " << threads;
          }
        }
      });
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, IntKernels, ::testing::ValuesIn(kFormats), [](const auto& info) {
  std::string s = info.param;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
});

}  // namespace
}  // namespace hifloat
