// Arithmetic shared by the symmetric integer formats int8 and int4
// (spec/BASELINES.md §7, §8): the NaN test, the finite absolute maximum and
// q = clamp(RNE(RN32(x / s)), -qmax, qmax).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace hifloat::symmetric_int {

// Only the first `valid` elements are real; padding zeros never matter here.
inline bool has_nan(std::span<const float> x) {
  for (float v : x) {
    if (std::isnan(v)) return true;
  }
  return false;
}

// max |x| over the finite elements (0 if there are none): +-Inf is excluded
// from the scale and saturates instead (§7 step 2, §8 step 2).
inline float finite_amax(std::span<const float> x) {
  float amax = 0.0f;
  for (float v : x) {
    if (std::isfinite(v) && std::fabs(v) > amax) amax = std::fabs(v);
  }
  return amax;
}

// clamp(RNE(RN32(x / s)), -qmax, qmax) for a positive, non-NaN scale s and a
// non-NaN x. Clamping before rounding is the same because the bounds are
// integers (and it maps +-Inf to +-qmax). Round half to even is spelled out
// with floor so the result does not depend on the floating-point environment.
inline int quantize(float x, float s, int qmax) {
  float v = x / s;  // RN32: one fp32 division
  const float lim = static_cast<float>(qmax);
  v = v > lim ? lim : v < -lim ? -lim : v;
  const float f = std::floor(v);  // |v| <= qmax, so v - f is exact
  const float d = v - f;
  int q = static_cast<int>(f);
  if (d > 0.5f || (d == 0.5f && (q & 1) != 0)) ++q;
  return q;
}

}  // namespace hifloat::symmetric_int
