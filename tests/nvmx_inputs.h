// Random and adversarial fp32 inputs for the nvfp4 and MX tests: blocks at
// random magnitudes, raw bit patterns, subnormals, values near FLT_MAX, and
// specials (NaN, ±Inf, −0) sprinkled in.
#pragma once

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

namespace hifloat::testing {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t u32() { return static_cast<uint32_t>(next() >> 32); }
  int range(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  bool chance(double p) { return uniform() < p; }
  double gauss() {  // Box-Muller
    const double u1 = uniform() + 0x1p-60, u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t s_;
};

inline float bits_to_float(uint32_t u) { return std::bit_cast<float>(u); }

// `n` values of one randomly chosen kind; specials sprinkled in
// with probability `special_rate` per element.
inline std::vector<float> adversarial_values(Rng& rng, size_t n, double special_rate) {
  std::vector<float> v(n);
  const int kind = rng.range(0, 9);
  const int k = rng.range(-40, 40);
  const uint32_t exp_field = static_cast<uint32_t>(rng.range(1, 254));
  for (float& x : v) {
    switch (kind) {
      case 0: case 1: x = static_cast<float>(rng.gauss() * std::ldexp(1.0, k)); break;
      case 2: {  // any finite bit pattern
        uint32_t u;
        do u = rng.u32(); while (((u >> 23) & 0xFF) == 0xFF);
        x = bits_to_float(u);
        break;
      }
      case 3: x = bits_to_float((rng.u32() & 0x807FFFFFu) | (exp_field << 23)); break;  // one binade
      case 4: x = bits_to_float(rng.u32() & 0x807FFFFFu); break;                        // subnormals
      case 5: x = static_cast<float>(rng.gauss() * 0x1p120); break;                    // near FLT_MAX
      case 6:  // the largest finite values, or zero
        x = rng.chance(0.5) ? bits_to_float(0x7F7FFFFFu - static_cast<uint32_t>(rng.range(0, 60))) : 0.0f;
        if (rng.chance(0.5)) x = -x;
        break;
      case 7: x = rng.chance(0.5) ? 0.0f : -0.0f; break;
      case 8: x = static_cast<float>(rng.range(-64, 64)) * std::ldexp(0.125f, k); break;  // on coarse grids
      default: x = static_cast<float>(rng.gauss() * std::ldexp(1.0, rng.range(-140, 120))); break;
    }
    if (rng.chance(special_rate)) {
      const float specials[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0f, FLT_MAX, -FLT_MAX, 0x1p-149f, -0x1p-126f};
      x = specials[rng.range(0, 8)];
    }
  }
  return v;
}

}  // namespace hifloat::testing
