// Internal: RZ32(acc + s), the step of the fp32_trunc accumulation
// (docs/matmul.md §2.3), for an fp32 accumulator and an fp64 value s that is
// the exact block sum. Shared by the kernels that form exact block sums in
// fp64 (matmul_hif8_packed.cc, matmul_dense_blocksum.cc); the vector form is
// in round_toward_zero-inl.h.
#pragma once

#include <cmath>

namespace hifloat::kernels {

// Exact for every fp32 acc (NaN, ±Inf, subnormal included) and every fp64 s.
// An infinite or NaN acc + s gives that IEEE result (an infinite block sum
// stays infinite); finite sums beyond FLT_MAX truncate to ±FLT_MAX.
inline float add_double_toward_zero(float acc, double s) {
  const double a = acc;
  const double t = a + s;
  if (!std::isfinite(t)) return static_cast<float>(t);  // an infinite block sum stays infinite; NaN
  const double bb = t - a;
  const double err = (a - (t - bb)) + (s - bb);  // TwoSum: a + s = t + err exactly
  // RN32(t) is RZ32(a+s) or one step further from zero (t lies between RZ32(a+s) and the next float32).
  float f = static_cast<float>(t);
  const double fd = f;
  const bool too_far = std::fabs(fd) > std::fabs(t) || (fd == t && ((t > 0 && err < 0) || (t < 0 && err > 0)));
  if (too_far) f = std::nextafter(f, 0.0f);  // Inf → FLT_MAX: overflow truncates
  return f;
}

}  // namespace hifloat::kernels
