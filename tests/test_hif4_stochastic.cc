// HiFloat4 family, rounding=stochastic (spec/HIF4.md §5.1): unbiasedness,
// results always one of the two neighbouring magnitudes, reproducibility, and
// draws that depend only on the logical flat index (not on how the same lines
// are shaped, threaded or processed).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"

namespace hifloat {
namespace {

struct Member {
  const char* name;
  int m;
};
const Member kMembers[] = {{"hifx2", 1}, {"hifx3", 2}, {"hif4", 3}, {"hifx5", 4}};

std::vector<float> fake(const std::string& format, const std::vector<float>& x, const Shape& shape, int axis,
                        const ExecOptions& exec = {}) {
  std::vector<float> out(x.size());
  fake_quant(parse_format(format), x.data(), shape, axis, out.data(), exec);
  return out;
}

// Rows of 64 values: elements 0..55 equal `a`, element 63 equals 7 so that the
// scale is exactly 1 (R = 1) and elements 0..55 (below 2, unflagged groups)
// have t = 2^(m-1) * a exactly; q is then x̂ * 2^(m-1).
TEST(Hif4Stochastic, UnbiasedAndAlwaysANeighbour) {
  constexpr int64_t kRows = 2048;
  for (const Member& mb : kMembers) {
    const double half_steps = std::ldexp(1.0, mb.m - 1);
    const int qmax = (1 << mb.m) - 1;
    for (double t_target : {0.1, 0.5, 0.9, 1.3, qmax - 0.2, 1.0, static_cast<double>(qmax), qmax + 0.49}) {
      const float a = static_cast<float>(t_target / half_steps);
      if (a >= 2.0f) continue;
      const double t = a * half_steps;  // exact
      std::vector<float> x(kRows * 64, 0.0f);
      for (int64_t r = 0; r < kRows; ++r) {
        for (int i = 0; i < 56; ++i) x[r * 64 + i] = (i % 2) ? -a : a;
        x[r * 64 + 63] = 7.0f;
      }
      const std::vector<float> got =
          fake(std::string(mb.name) + ":rounding=stochastic,seed=99", x, {kRows, 64}, 1);
      const double lo = std::floor(t), hi = std::min(lo + 1, static_cast<double>(qmax));
      double sum = 0;
      int64_t n = 0;
      for (int64_t r = 0; r < kRows; ++r) {
        for (int i = 0; i < 56; ++i) {
          const double q = std::fabs(got[r * 64 + i]) * half_steps;
          ASSERT_TRUE(q == lo || q == hi) << mb.name << " t=" << t << " gave q=" << q;
          ASSERT_EQ(std::signbit(got[r * 64 + i]), i % 2 == 1);
          sum += q;
          ++n;
        }
      }
      const double mean = sum / static_cast<double>(n);
      const double expect = std::min(t, static_cast<double>(qmax));  // saturation clips the top
      const double p = t - lo;
      const double sigma = std::sqrt(std::max(p * (1 - p), 1e-12) / static_cast<double>(n));
      EXPECT_NEAR(mean, expect, 5 * sigma + 1e-12) << mb.name << " t=" << t;
    }
  }
}

TEST(Hif4Stochastic, ReproducibleAndSeeded) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> x(8 * 200);
  for (float& v : x) v = g(rng);
  for (const Member& mb : kMembers) {
    const std::string base = std::string(mb.name) + ":rounding=stochastic";
    const Packed a = encode(parse_format(base + ",seed=7"), x.data(), {8, 200}, 1);
    const Packed b = encode(parse_format(base + ",seed=7"), x.data(), {8, 200}, 1);
    const Packed c = encode(parse_format(base + ",seed=8"), x.data(), {8, 200}, 1);
    const Packed d = encode(parse_format(base), x.data(), {8, 200}, 1);
    const Packed e = encode(parse_format(base + ",seed=0"), x.data(), {8, 200}, 1);
    EXPECT_EQ(a.data, b.data) << mb.name;
    EXPECT_NE(a.data, c.data) << mb.name;
    EXPECT_EQ(d.data, e.data) << mb.name;  // the default seed is 0
    // The seed only affects the elements, never the scale or the flags.
    const size_t unit_bytes = a.data.size() / 32;  // 8 lines of 4 units
    for (size_t off = 0; off < a.data.size(); off += unit_bytes) {
      EXPECT_EQ(std::vector<uint8_t>(a.data.begin() + off, a.data.begin() + off + 4),
                std::vector<uint8_t>(c.data.begin() + off, c.data.begin() + off + 4));
    }
    // Other modes accept a seed and ignore it.
    EXPECT_EQ(encode(parse_format(std::string(mb.name) + ":seed=3"), x.data(), {8, 200}, 1).data,
              encode(parse_format(mb.name), x.data(), {8, 200}, 1).data);
  }
}

// The same logical lines with the same flat indices, viewed through different
// shapes, or run with different execution options, give identical results.
TEST(Hif4Stochastic, IndependentOfHowTheTensorIsSplit) {
  std::mt19937 rng(6);
  std::normal_distribution<float> g;
  std::vector<float> x(4 * 256);
  for (float& v : x) v = g(rng) * 3.0f;
  for (const Member& mb : kMembers) {
    const std::string fmt = std::string(mb.name) + ":rounding=stochastic,seed=2024";
    const std::vector<float> ref = fake(fmt, x, {4, 256}, 1);
    EXPECT_EQ(fake(fmt, x, {4, 4, 64}, 2), ref) << mb.name;
    EXPECT_EQ(fake(fmt, x, {16, 64}, -1), ref) << mb.name;
    EXPECT_EQ(fake(fmt, x, {1024}, 0), ref) << mb.name;
    EXPECT_EQ(fake(fmt, x, {4, 256, 1}, 1), ref) << mb.name;
    for (int threads : {1, 2, 0}) {
      for (bool reference : {false, true}) {
        ExecOptions exec;
        exec.threads = threads;
        exec.reference = reference;
        EXPECT_EQ(fake(fmt, x, {4, 256}, 1, exec), ref) << mb.name << " threads=" << threads;
      }
    }
    // A transposed copy is different data to the quantiser: other draws (§5.1).
    std::vector<float> xt(x.size());
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 256; ++c) xt[c * 4 + r] = x[r * 256 + c];
    }
    const std::vector<float> tq = fake(fmt, xt, {256, 4}, 0);
    int differ = 0;
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 256; ++c) differ += tq[c * 4 + r] != ref[r * 256 + c];
    }
    EXPECT_GT(differ, 0) << mb.name;
  }
}

}  // namespace
}  // namespace hifloat
