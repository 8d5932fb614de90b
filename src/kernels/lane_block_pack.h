// Packing of element codes into block records (spec/BASELINES.md §0 "Bit
// packing"), word-at-a-time: the same bytes as formats/bitpack.h's
// pack_codes / unpack_codes, which are the reference. Plain C++ shared by the
// block-format kernels.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "formats/bitpack.h"

namespace hifloat::kernels {

namespace detail {
// Word loads and stores of little-endian byte streams (one instruction each on
// the little-endian hosts the kernels target; a byte loop elsewhere).
inline uint64_t load_u64_le(const uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
inline uint64_t load_u32_le(const uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  return static_cast<uint64_t>(p[0]) | static_cast<uint64_t>(p[1]) << 8 | static_cast<uint64_t>(p[2]) << 16 |
         static_cast<uint64_t>(p[3]) << 24;
}
inline void store_le(uint64_t v, int bytes, uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    if (bytes == 4) {  // the common case as one store
      const uint32_t w = static_cast<uint32_t>(v);
      std::memcpy(p, &w, 4);
      return;
    }
  }
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace detail

// `codes` holds `count` codes, one per byte (high bits zero), plus at least 8
// readable bytes of slack; writes packed_code_bytes(count, width) bytes.
inline void pack_code_bytes(const uint8_t* codes, size_t count, int width, uint8_t* out) {
  if (width == 8) {
    std::memcpy(out, codes, count);
    return;
  }
  if (width == 4) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {  // 8 codes -> 4 bytes
      uint64_t v = detail::load_u64_le(codes + i);
      v = (v | (v >> 4)) & 0x00FF00FF00FF00FFull;
      v = (v | (v >> 8)) & 0x0000FFFF0000FFFFull;
      v = (v | (v >> 16)) & 0x00000000FFFFFFFFull;
      detail::store_le(v, 4, out + i / 2);
    }
    if (i < count) pack_codes(codes + i, count - i, 4, out + i / 2);
    return;
  }
  if (width == 6 && count % 4 == 0) {
    for (size_t i = 0; i < count; i += 4) {  // 4 codes -> 3 bytes
      const uint64_t v = detail::load_u64_le(codes + i) & 0xFFFFFFFFull;
      const uint64_t w = (v & 0x3F) | ((v >> 2) & 0xFC0) | ((v >> 4) & 0x3F000) | ((v >> 6) & 0xFC0000);
      detail::store_le(w, 3, out + i / 4 * 3);
    }
    return;
  }
  pack_codes(codes, count, width, out);
}

// Inverse of pack_code_bytes: `count` codes, one per byte; `codes` has 8 bytes of slack.
inline void unpack_code_bytes(const uint8_t* in, size_t count, int width, uint8_t* codes) {
  if (width == 8) {
    std::memcpy(codes, in, count);
    return;
  }
  if (width == 4) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
      uint64_t v = detail::load_u32_le(in + i / 2);
      v = (v | (v << 16)) & 0x0000FFFF0000FFFFull;
      v = (v | (v << 8)) & 0x00FF00FF00FF00FFull;
      v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0Full;
      detail::store_le(v, 8, codes + i);
    }
    if (i < count) unpack_codes(in + i / 2, count - i, 4, codes + i);
    return;
  }
  if (width == 6 && count % 4 == 0) {
    for (size_t i = 0; i < count; i += 4) {
      const uint8_t* p = in + i / 4 * 3;
      const uint32_t w = p[0] | (p[1] << 8) | (p[2] << 16);
      codes[i] = w & 0x3F;
      codes[i + 1] = (w >> 6) & 0x3F;
      codes[i + 2] = (w >> 12) & 0x3F;
      codes[i + 3] = (w >> 18) & 0x3F;
    }
    return;
  }
  unpack_codes(in, count, width, codes);
}

}  // namespace hifloat::kernels
