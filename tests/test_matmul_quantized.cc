// Dense activations × weights quantised by each format's Codec (real encoded
// data, not random bytes), against an independent model of docs/matmul.md
// written here from the contract: the weights are decoded by the format's
// reference decoder (Codec::dequantize), products a·ŵ are exact in double
// (24 × 24 significant bits), sums are kept exactly as floating-point
// expansions (Shewchuk's error-free TwoSum), and the result is rounded once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/matmul.h"
#include "matmul_test_util.h"

namespace hifloat {
namespace {

using testing::random_floats;
using testing::same_bits;

// An exact sum of doubles: a non-overlapping expansion, largest component last.
class ExactSum {
 public:
  void add(double x) {
    std::vector<double> next;
    for (double e : parts_) {  // grow-expansion: TwoSum carries x up through every component
      const double s = x + e, bv = s - x, err = (x - (s - bv)) + (e - bv);
      if (err != 0) next.push_back(err);
      x = s;
    }
    if (x != 0) next.push_back(x);
    parts_ = std::move(next);
    compress();
  }
  // The value rounded to float: ties to even, or toward zero.
  float round(bool toward_zero) const {
    if (parts_.empty()) return 0.0f;
    const double hi = parts_.back();
    double rest_sign = 0;  // sign of everything below hi (its largest nonzero part decides)
    for (size_t i = parts_.size() - 1; i-- > 0;)
      if (parts_[i] != 0) {
        rest_sign = parts_[i];
        break;
      }
    const float f = static_cast<float>(hi);  // RNE of hi alone
    if (toward_zero) {
      float t = f;
      if (std::fabs(static_cast<double>(t)) > std::fabs(hi)) t = std::nextafter(t, 0.0f);
      // hi is a float and the rest pulls toward zero: one step down.
      if (static_cast<double>(t) == hi && rest_sign != 0 && (rest_sign < 0) != (hi < 0)) t = std::nextafter(t, 0.0f);
      return t;
    }
    // A double hi that is not a float midpoint lies on the same side of every
    // midpoint as hi + rest (|rest| < half an ulp of hi in double). Only an
    // exact midpoint needs the rest to break the tie instead of evenness.
    if (rest_sign == 0 || static_cast<double>(f) == hi || !std::isfinite(f)) return f;
    const float other = std::nextafter(f, static_cast<double>(f) < hi ? INFINITY : -INFINITY);
    if ((static_cast<double>(f) + static_cast<double>(other)) / 2 != hi) return f;
    return ((rest_sign > 0) == (static_cast<double>(other) > hi)) ? other : f;
  }

 private:
  void compress() {  // keep the components non-overlapping and nonzero (renormalise from the top)
    if (parts_.size() < 2) return;
    std::vector<double> out;
    double q = parts_.back();
    for (size_t i = parts_.size() - 1; i-- > 0;) {
      const double s = q + parts_[i], bv = s - q, err = (q - (s - bv)) + (parts_[i] - bv);
      q = s;
      if (err != 0) out.push_back(err);
    }
    // out holds errors from the top down; rebuild small-to-large with q on top.
    std::vector<double> rebuilt(out.rbegin(), out.rend());
    if (q != 0) rebuilt.push_back(q);
    parts_ = std::move(rebuilt);
  }
  std::vector<double> parts_;
};

// One output of docs/matmul.md §2 for a row a[0..k) and a decoded weight line w[0..k).
float model_output(const float* a, const float* w, int64_t k, Accumulation acc, int64_t block) {
  switch (acc) {
    case Accumulation::kExact: {  // §2.1: exact sum, rounded once
      ExactSum s;
      for (int64_t i = 0; i < k; ++i) s.add(static_cast<double>(a[i]) * w[i]);
      return s.round(false);
    }
    case Accumulation::kFp32: {  // §2.2 weight-only: 16 FMA lanes, then the halving tree
      float lane[16] = {};
      for (int64_t i = 0; i < k; ++i) lane[i % 16] = std::fma(a[i], w[i], lane[i % 16]);
      for (int half = 8; half >= 1; half /= 2)
        for (int j = 0; j < half; ++j) lane[j] = lane[j] + lane[j + half];
      return lane[0];
    }
    case Accumulation::kFp32Truncate: {  // §2.3: acc = RZ32(acc + exact block sum)
      float total = 0.0f;
      for (int64_t b0 = 0; b0 < k; b0 += block) {
        ExactSum s;
        s.add(total);
        for (int64_t i = b0; i < std::min(k, b0 + block); ++i) s.add(static_cast<double>(a[i]) * w[i]);
        total = s.round(true);
      }
      return total;
    }
  }
  return NAN;
}

void check_quantized(const std::string& format, int64_t block) {
  const auto codec = make_codec(format);
  struct S {
    int64_t m, n, k;
  };
  uint64_t seed = 7;
  for (const S s : {S{1, 1, 1}, S{2, 5, 33}, S{3, 9, 130}, S{4, 17, 256}, S{5, 6, 1000}}) {
    for (bool as_linear : {false, true}) {
      const Shape shape = as_linear ? Shape{s.n, s.k} : Shape{s.k, s.n};
      const int axis = as_linear ? 1 : 0;
      const std::vector<float> x = random_floats(static_cast<size_t>(s.n * s.k), ++seed, 3);
      Packed w;
      w.format = codec->spec();
      w.shape = shape;
      w.axis = axis;
      w.data.resize(codec->packed_bytes(shape, axis));
      codec->quantize(x.data(), shape, axis, w.data);
      std::vector<float> wd(x.size());  // decoded weights, as line n: wd[n*k + i]
      std::vector<float> dec(x.size());
      codec->dequantize(w.data, shape, axis, dec.data());
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t i = 0; i < s.k; ++i) wd[n * s.k + i] = as_linear ? dec[n * s.k + i] : dec[i * s.n + n];
      const std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k), ++seed, 6);
      for (Accumulation acc : {Accumulation::kFp32, Accumulation::kExact, Accumulation::kFp32Truncate}) {
        std::vector<float> want(static_cast<size_t>(s.m * s.n));
        for (int64_t m = 0; m < s.m; ++m)
          for (int64_t n = 0; n < s.n; ++n)
            want[m * s.n + n] = model_output(&a[m * s.k], &wd[n * s.k], s.k, acc, block);
        for (bool ref : {true, false}) {
          std::vector<float> got(want.size(), -7.0f);
          MatmulOptions opt;
          opt.accumulation = acc;
          opt.reference = ref;
          opt.threads = 2;
          as_linear ? linear(a.data(), s.m, s.k, w, got.data(), opt) : matmul(a.data(), s.m, s.k, w, got.data(), opt);
          EXPECT_TRUE(same_bits(got, want)) << format << " m=" << s.m << " n=" << s.n << " k=" << s.k << " "
                                            << accumulation_name(acc) << " reference=" << ref
                                            << " linear=" << as_linear;
        }
      }
      EXPECT_EQ(accumulation_block(w.format), block) << format;
    }
  }
}

TEST(MatmulQuantized, Nvfp4) { check_quantized("nvfp4", 16); }
TEST(MatmulQuantized, Nvfp4NoTensorScale) { check_quantized("nvfp4:tensor_scale=off", 16); }
TEST(MatmulQuantized, Mxfp4) { check_quantized("mxfp4", 32); }
TEST(MatmulQuantized, Mxfp8E4m3) { check_quantized("mxfp8_e4m3", 32); }
TEST(MatmulQuantized, Int4) { check_quantized("int4", 32); }
TEST(MatmulQuantized, Int4Group16) { check_quantized("int4:group=16", 16); }
TEST(MatmulQuantized, Hif8) { check_quantized("hif8", 64); }
TEST(MatmulQuantized, Hif4) { check_quantized("hif4", 64); }

// The model's exact rounding itself, on sums whose answer is known by construction.
TEST(MatmulQuantized, ModelRoundsOnce) {
  ExactSum s;
  s.add(1.0);
  s.add(std::ldexp(1.0, -24));  // exactly halfway between 1 and 1+2^-23: ties to even → 1
  EXPECT_EQ(s.round(false), 1.0f);
  s.add(std::ldexp(1.0, -80));  // now just above halfway → up
  EXPECT_EQ(s.round(false), 1.0f + std::ldexp(1.0f, -23));
  EXPECT_EQ(s.round(true), 1.0f);
  ExactSum t;
  t.add(1.0);
  t.add(-std::ldexp(1.0, -90));  // just below 1: RZ gives the float below 1
  EXPECT_EQ(t.round(true), std::nextafter(1.0f, 0.0f));
  EXPECT_EQ(t.round(false), 1.0f);
  ExactSum big;
  big.add(3.0e38);
  big.add(3.0e38);
  EXPECT_EQ(big.round(true), FLT_MAX);
  EXPECT_TRUE(std::isinf(big.round(false)));
}

}  // namespace
}  // namespace hifloat
