// HiF4 weights × int8-quantised activations (docs/matmul.md §7): the
// activation quantiser on hand-worked blocks, the reference against a hand
// example and an independent model (integer weights read from the bits, fp32
// steps done in double and rounded once), the kernel against the reference bit
// for bit on every SIMD target, and the error against the float product.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/ieee16.h"
#include "hifloat/matmul.h"
#include "kernel_test_util.h"
#include "matmul_test_util.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::random_floats;
using testing::random_hif4_units;
using testing::same_bits;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(MatmulQ8Quantize, HandWorkedBlocks) {
  // Block 0: amax 127 → d = 1, q = rne(a): −63.5 → −64, 2.5 → 2, 0.5 → 0, 1.5 → 2.
  // Block 1: amax 254 → d = 2: 3 → 1.5 → 2, 5 → 2.5 → 2, −254 → −127.
  // Block 2 (tail of 6 values): a NaN → d = NaN, q = 0.
  std::vector<float> a(134, 0.0f);
  a[0] = 127, a[1] = -63.5f, a[2] = 2.5f, a[3] = 0.5f, a[4] = 1.5f;
  a[64] = 3, a[65] = 5, a[66] = -254;
  a[128] = 1, a[130] = kNaN;
  std::vector<int8_t> q(192, 99);
  std::vector<float> d(3);
  quantize_activations_q8(a.data(), 134, q.data(), d.data());
  EXPECT_EQ(d[0], 1.0f);
  EXPECT_EQ(d[1], 2.0f);
  EXPECT_TRUE(std::isnan(d[2]));
  const std::vector<int8_t> head0 = {127, -64, 2, 0, 2, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(q[i], head0[i]) << i;
  EXPECT_EQ(q[64], 2);
  EXPECT_EQ(q[65], 2);
  EXPECT_EQ(q[66], -127);
  for (int i = 128; i < 192; ++i) EXPECT_EQ(q[i], 0) << i;
}

TEST(MatmulQ8Quantize, ZeroBlockAndInexactScale) {
  std::vector<float> a(64, 0.0f);
  std::vector<int8_t> q(64, 5);
  float d = -1;
  quantize_activations_q8(a.data(), 64, q.data(), &d);
  EXPECT_EQ(d, 0.0f);
  for (int8_t v : q) EXPECT_EQ(v, 0);
  // amax = 1: d = fp32(1/127); q(1) = 127, q(−0.5) = rne(fp32(−0.5/d)) = rne(−63.5) = −64
  // (−0.5/d is −63.5 to within fp32 rounding; computed here in double).
  a[0] = 1.0f, a[1] = -0.5f, a[2] = 0.25f;
  quantize_activations_q8(a.data(), 64, q.data(), &d);
  EXPECT_EQ(d, static_cast<float>(1.0 / 127.0));
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], static_cast<int8_t>(std::nearbyint(static_cast<float>(-0.5 / static_cast<double>(d)))));
  EXPECT_EQ(q[2], static_cast<int8_t>(std::nearbyint(static_cast<float>(0.25 / static_cast<double>(d)))));
}

// The docs/matmul.md §7 formulas written directly (libm nearbyint, default rounding mode =
// ties to even) on random blocks over many binades, including subnormal ones
// where amax/127 rounds coarsely and the clamp acts.
TEST(MatmulQ8Quantize, MatchesFormulaOnRandomBlocks) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g(0, 1);
  std::uniform_int_distribution<int> e(-149, 100);
  std::vector<float> a(64);
  std::vector<int8_t> q(64);
  int clamped = 0;
  for (int block = 0; block < 4000; ++block) {
    const int ex = e(rng);
    for (float& x : a) x = std::ldexp(g(rng), ex);
    float d = 0;
    quantize_activations_q8(a.data(), 64, q.data(), &d);
    float amax = 0;
    for (float x : a) amax = std::max(amax, std::fabs(x));
    ASSERT_EQ(std::bit_cast<uint32_t>(d), std::bit_cast<uint32_t>(amax / 127.0f));
    for (int i = 0; i < 64; ++i) {
      const float r = d == 0 ? 0.0f : std::nearbyint(a[i] / d);
      clamped += std::fabs(r) > 127;
      ASSERT_EQ(q[i], static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, r)))) << block << " " << i;
    }
  }
  EXPECT_GT(clamped, 0);
}

// One unit with S = 1 (code 0xC0), b8[0] = b4[0] = 1: elements 0..2 are
// 1·4/4 = 1, −2·4/4 = −2, 7·4/4 = 7 (HIF4.md §3). A = [127, −3, 5, 0…] has
// d = 1, so C = 127·1 + (−3)(−2) + 5·7 = 168.
TEST(MatmulQ8Reference, HandExample) {
  Packed w;
  w.format = parse_format("hif4");
  w.shape = {1, 64};
  w.axis = 1;
  w.data.assign(36, 0);
  w.data[0] = 0xC0, w.data[1] = 0x01, w.data[2] = 0x01;
  w.data[4] = 0x01 | (0x0A << 4), w.data[5] = 0x07;
  std::vector<float> a(64, 0.0f);
  a[0] = 127, a[1] = -3, a[2] = 5;
  for (bool ref : {true, false}) {
    float c = -1;
    MatmulOptions opt;
    opt.reference = ref;
    linear_q8(a.data(), 1, 64, w, &c, opt);
    EXPECT_EQ(c, 168.0f);
  }
}

// Independent model of docs/matmul.md §7: integer weights read from the bits with integer
// arithmetic; fp32 steps done in double (exact for a product of two floats
// and for the sum of two floats' double rounding, p ≥ 2·24 + 2) then rounded.
std::vector<float> model(const std::vector<float>& a, int64_t m, int64_t k, const Packed& w) {
  const int64_t n = w.shape[0], units = (k + 63) / 64;
  std::vector<float> c(static_cast<size_t>(m * n));
  std::vector<int8_t> q(static_cast<size_t>(units * 64));
  std::vector<float> d(static_cast<size_t>(units));
  for (int64_t i = 0; i < m; ++i) {
    quantize_activations_q8(a.data() + i * k, k, q.data(), d.data());
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t u = 0; u < units; ++u) {
        const uint8_t* unit = w.data.data() + (j * units + u) * 36;
        int64_t integer = 0;
        for (int e = 0; e < 64; ++e) {
          const int code = (unit[4 + e / 2] >> (e % 2 ? 4 : 0)) & 15;
          const int sh = ((unit[1] >> (e / 8)) & 1) + ((unit[2 + e / 32] >> ((e / 4) % 8)) & 1);
          const int wi = (code & 7) * (1 << sh) * ((code & 8) ? -1 : 1);
          integer += int64_t{q[static_cast<size_t>(u * 64 + e)]} * wi;
        }
        const int sc = unit[0];
        const double s4 = sc == 0xFF ? std::nan("") : std::ldexp(4.0 + (sc & 3), (sc >> 2) - 48 - 4);
        const float ds = static_cast<float>(static_cast<double>(d[static_cast<size_t>(u)]) * s4);
        const float U = static_cast<float>(static_cast<double>(integer) * static_cast<double>(ds));
        acc = static_cast<float>(static_cast<double>(acc) + static_cast<double>(U));
      }
      c[static_cast<size_t>(i * n + j)] = acc;
    }
  }
  return c;
}

struct Dims {
  int64_t m, n, k;
};
const Dims kDims[] = {{1, 1, 1}, {1, 7, 63}, {1, 8, 64}, {1, 33, 200}, {2, 5, 65}, {3, 17, 130}, {4, 16, 256},
                      {5, 9, 1000}};

std::vector<float> activations(const Dims& s, uint64_t seed) {
  std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), seed, 4);
  if (s.k > 70) a[static_cast<size_t>(s.k + 66 < s.m * s.k ? s.k + 66 : 66)] = kNaN;  // one NaN block
  if (s.k > 140) a[130] = std::numeric_limits<float>::infinity();
  return a;
}

TEST(MatmulQ8Reference, MatchesIndependentModel) {
  uint64_t seed = 500;
  for (const Dims& s : kDims) {
    const Packed w = random_hif4_units({s.n, s.k}, 1, ++seed, 0.03);
    const std::vector<float> a = activations(s, ++seed);
    std::vector<float> c(static_cast<size_t>(s.m * s.n));
    MatmulOptions opt;
    opt.reference = true;
    linear_q8(a.data(), s.m, s.k, w, c.data(), opt);
    EXPECT_TRUE(same_bits(c, model(a, s.m, s.k, w))) << s.m << "x" << s.n << "x" << s.k;
  }
}

TEST(MatmulQ8Kernel, BitExactVsReferenceOnEveryTarget) {
  for_each_target([](int64_t) {
    uint64_t seed = 900;
    for (const Dims& s : kDims) {
      for (bool as_linear : {true, false}) {
        const Packed w = as_linear ? random_hif4_units({s.n, s.k}, 1, ++seed, 0.03)
                                   : random_hif4_units({s.k, s.n}, 0, ++seed, 0.03);
        const std::vector<float> a = activations(s, ++seed);
        auto run = [&](bool ref, int threads) {
          std::vector<float> c(static_cast<size_t>(s.m * s.n), -7.0f);
          MatmulOptions opt;
          opt.reference = ref;
          opt.threads = threads;
          if (as_linear) {
            linear_q8(a.data(), s.m, s.k, w, c.data(), opt);
          } else {
            matmul_q8(a.data(), s.m, s.k, w, c.data(), opt);
          }
          return c;
        };
        const std::vector<float> want = run(true, 1);
        for (int threads : testing::kThreadCounts)
          EXPECT_TRUE(same_bits(run(false, threads), want))
              << s.m << "x" << s.n << "x" << s.k << (as_linear ? " linear" : " matmul") << " threads " << threads;
      }
    }
  });
}

// The kernel runs register tiles of several activation rows per pass over a
// weight panel (kRows = 6 in matmul_q8.cc), with smaller tiles for the rest of M:
// every M from 1 to 13 and 17 (each remainder 1..5 alone and after full tiles
// of 4 or 6 rows), with N odd (a partial
// 8-column panel) and K not a multiple of 64 (zero-padded tail unit), on every
// target and 1 and 2 threads. Each row has its own random activations and a
// NaN block in a different unit, so outputs written to another row's place,
// or a row paired with another row's weights or scales, change bits.
TEST(MatmulQ8Kernel, EveryRowTileRemainderBitExact) {
  for_each_target([](int64_t) {
    uint64_t seed = 4000;
    for (const int64_t n : {13, 1}) {
      for (const int64_t k : {200, 65}) {
        for (const int64_t m : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17}) {
          const Packed w = random_hif4_units({n, k}, 1, ++seed, 0.02);
          std::vector<float> a = random_floats(static_cast<size_t>(m * k), ++seed, 4);
          const int64_t units = (k + 63) / 64;
          for (int64_t i = 0; i < m; i += 3) a[static_cast<size_t>(i * k + (i / 3 % units) * 64)] = kNaN;
          auto run = [&](bool ref, int threads) {
            std::vector<float> c(static_cast<size_t>(m * n), -7.0f);
            MatmulOptions opt;
            opt.reference = ref;
            opt.threads = threads;
            linear_q8(a.data(), m, k, w, c.data(), opt);
            return c;
          };
          const std::vector<float> want = run(true, 1);
          for (int threads : {1, 2})
            EXPECT_TRUE(same_bits(run(false, threads), want)) << m << "x" << n << "x" << k << " threads " << threads;
        }
      }
    }
  });
}

// The int16 sums at their limits: q = ±127 everywhere (every block's amax is
// hit by all its values) against weights of magnitude 7 with every b4 / b8
// flag set (|w| = 28), in all four sign patterns, for a full tile of rows.
TEST(MatmulQ8Kernel, LargestUnitSumsBitExact) {
  const int64_t m = 5, n = 9, k = 128;
  Packed w = random_hif4_units({n, k}, 1, 17);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t u = 0; u < 2; ++u) {
      uint8_t* unit = w.data.data() + (j * 2 + u) * 36;
      unit[1] = unit[2] = unit[3] = 0xFF;                                  // all shifts: w = ±7·4
      const uint8_t code = (j % 3 == 0) ? 0x77 : (j % 3 == 1) ? 0xFF : 0x7F;  // +7,+7 / −7,−7 / +7,−7 (low, high)
      std::fill_n(unit + 4, 32, code);
    }
  std::vector<float> a(static_cast<size_t>(m * k));
  for (size_t i = 0; i < a.size(); ++i) a[i] = (i / k) % 2 ? -3.0f : 3.0f;  // rows of all +3 or all −3
  for (size_t i = 0; i < static_cast<size_t>(k); i += 2) a[2 * k + i] = -3.0f;  // row 2 alternates
  for_each_target([&](int64_t) {
    std::vector<float> want(static_cast<size_t>(m * n)), got(want.size());
    MatmulOptions ref;
    ref.reference = true;
    linear_q8(a.data(), m, k, w, want.data(), ref);
    linear_q8(a.data(), m, k, w, got.data());
    EXPECT_TRUE(same_bits(got, want));
  });
}

TEST(MatmulQ8Kernel, Bf16ActivationsAreWidenedExactly) {
  const Dims s{3, 11, 150};
  const Packed w = random_hif4_units({s.n, s.k}, 1, 77);
  const std::vector<float> af = random_floats(static_cast<size_t>(s.m * s.k), 78);
  std::vector<bfloat16> ab(af.size());
  std::vector<float> widened(af.size());
  for (size_t i = 0; i < af.size(); ++i) {
    ab[i] = bfloat16(af[i]);
    widened[i] = static_cast<float>(ab[i]);
  }
  std::vector<float> c1(static_cast<size_t>(s.m * s.n)), c2(c1.size());
  linear_q8(ab.data(), s.m, s.k, w, c1.data());
  linear_q8(widened.data(), s.m, s.k, w, c2.data());
  EXPECT_TRUE(same_bits(c1, c2));
}

// With codec-quantised weights ŵ and finite activations, |C − Σ a·ŵ| is at
// most the int8 step, Σ_u (d_u/2)·Σ|ŵ| over the unit, plus fp32 rounding
// (≤ units + 2 roundings of size ≤ 2^-24 · running magnitude; bounded by
// 1e-6 · Σ|a·ŵ| · units with margin).
TEST(MatmulQ8Kernel, ErrorAgainstFloatProductWithCodecWeights) {
  const int64_t m = 4, n = 24, k = 640, units = k / 64;
  const std::vector<float> x = random_floats(static_cast<size_t>(n * k), 31, 2);
  const Packed w = encode(parse_format("hif4"), x.data(), {n, k}, 1);
  std::vector<float> wd(x.size());
  decode(w, wd.data());
  const std::vector<float> a = random_floats(static_cast<size_t>(m * k), 32, 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  linear_q8(a.data(), m, k, w, c.data());
  std::vector<int8_t> q(static_cast<size_t>(k));
  std::vector<float> d(static_cast<size_t>(units));
  for (int64_t i = 0; i < m; ++i) {
    quantize_activations_q8(a.data() + i * k, k, q.data(), d.data());
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0, step = 0, mag = 0;
      for (int64_t kk = 0; kk < k; ++kk) {
        const double wv = wd[static_cast<size_t>(j * k + kk)];
        exact += a[static_cast<size_t>(i * k + kk)] * wv;
        step += d[static_cast<size_t>(kk / 64)] / 2 * std::fabs(wv);
        mag += std::fabs(a[static_cast<size_t>(i * k + kk)] * wv);
      }
      const double err = std::fabs(c[static_cast<size_t>(i * n + j)] - exact);
      EXPECT_LE(err, step + 1e-6 * mag * units) << i << "," << j;
      EXPECT_GT(step, 0);
    }
  }
}

TEST(MatmulQ8Errors, ClearMessages) {
  const std::vector<float> a(128, 1.0f);
  std::vector<float> c(4);
  const Packed w = random_hif4_units({2, 128}, 1, 5);
  MatmulOptions exact;
  exact.accumulation = Accumulation::kExact;
  EXPECT_THROW(linear_q8(a.data(), 1, 128, w, c.data(), exact), Error);
  EXPECT_THROW(linear_q8(a.data(), 1, 64, w, c.data()), Error);   // K mismatch
  EXPECT_THROW(matmul_q8(a.data(), 1, 128, w, c.data()), Error);  // blocks not along K
  const std::vector<float> x(256, 0.5f);
  const Packed w8 = encode(parse_format("hif8"), x.data(), {2, 128}, 1);
  try {
    linear_q8(a.data(), 1, 128, w8, c.data());
    FAIL() << "hif8 weights accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hif4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hifloat
