// Philox4x32-10 (Salmon et al., SC'11; Random123 definition), the counter-based
// generator behind every stochastic rounding mode. Counter-based so that the
// draw for an element depends only on (seed, flat index), never on threading,
// SIMD width or processing order.
#pragma once

#include <array>
#include <cstdint>

namespace hifloat {

using Philox4x32 = std::array<uint32_t, 4>;

constexpr Philox4x32 philox4x32_10(Philox4x32 ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ k0, lo1, hi0 ^ ctr[3] ^ k1, lo0};
  }
  return ctr;
}

// The 24-bit stochastic-rounding draw k for logical element n under `seed`
// (HIF4.md §5.1): u = k / 2^24. Shared by HiF4, HiF8 and every other format
// that offers rounding=stochastic.
constexpr uint32_t stochastic_draw24(uint64_t seed, uint64_t n) {
  const uint64_t c = n >> 2;
  const Philox4x32 out = philox4x32_10(
      {static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0u, 0u},
      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return out[n & 3u] >> 8;
}

}  // namespace hifloat
