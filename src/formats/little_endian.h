// Little-endian scalars inside packed records (BASELINES.md §0: multi-byte
// scales are little-endian), independent of the host's byte order.
#pragma once

#include <bit>
#include <cstdint>

namespace hifloat {

inline void store_u16_le(uint16_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

inline uint16_t load_u16_le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

inline void store_f32_le(float v, uint8_t* p) {
  const uint32_t u = std::bit_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(u >> (8 * i));
}

inline float load_f32_le(const uint8_t* p) {
  uint32_t u = 0;
  for (int i = 0; i < 4; ++i) u |= static_cast<uint32_t>(p[i]) << (8 * i);
  return std::bit_cast<float>(u);
}

}  // namespace hifloat
