// The input every throughput benchmark uses, generated once per process.
#pragma once

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace hifloat::bench {

// 16M elements: 64 MiB of float32, beyond the 32 MiB LLC of the machine measured.
inline constexpr size_t kElements = size_t{1} << 24;

// Activations-like data: normal with a spread of scales (2^-12 .. 2^12), so every
// HiF8 binade is hit and block scales vary.
inline const std::vector<float>& activations() {
  static const std::vector<float> data = [] {
    std::vector<float> v(kElements);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> scale(-12, 12);
    for (float& x : v) x = std::ldexp(normal(rng), scale(rng));
    return v;
  }();
  return data;
}

}  // namespace hifloat::bench
