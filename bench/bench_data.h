// The input every throughput benchmark uses, generated once per process.
#pragma once

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/format.h"

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

// Random packed HiF4 weights (rows × k, blocks along k): random payload bytes
// and scale codes 0xB8..0xC7 (no NaN units), the matmul benchmarks' weights.
inline Packed random_hif4_weights(int64_t rows, int64_t k, uint64_t seed) {
  Packed p;
  p.format = parse_format("hif4");
  p.shape = {rows, k};
  p.axis = 1;
  p.data.resize(static_cast<size_t>(rows * ((k + 63) / 64) * 36));
  std::mt19937_64 rng(seed);
  for (auto& b : p.data) b = static_cast<uint8_t>(rng());
  for (size_t u = 0; u < p.data.size(); u += 36) p.data[u] = static_cast<uint8_t>(0xB8 + rng() % 16);
  return p;
}

// n standard normal float32 values.
inline std::vector<float> gaussian(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

}  // namespace hifloat::bench
