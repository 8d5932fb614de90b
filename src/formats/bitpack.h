// Little-endian bit streams of sub-byte element codes (spec/BASELINES.md §0
// "Bit packing"): element i occupies stream bits [i·w, i·w + w), where stream
// bit b is bit (b mod 8) of byte (b div 8). For w = 4 element 2p is the low
// nibble of byte p; for w = 6 four codes form a 24-bit little-endian word
// c0 | c1<<6 | c2<<12 | c3<<18 stored in 3 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace hifloat {

inline constexpr size_t packed_code_bytes(size_t count, int width) {
  return (count * static_cast<size_t>(width) + 7) / 8;
}

// Writes `count` codes of `width` bits (1..8) to `out` (packed_code_bytes bytes,
// unused high bits of the last byte zero). Bits of a code above `width` are dropped.
inline void pack_codes(const uint8_t* codes, size_t count, int width, uint8_t* out) {
  std::memset(out, 0, packed_code_bytes(count, width));
  const unsigned mask = (1u << width) - 1;
  for (size_t i = 0; i < count; ++i) {
    const size_t bit = i * static_cast<size_t>(width);
    const unsigned v = (codes[i] & mask) << (bit % 8);  // up to 15 bits
    out[bit / 8] = static_cast<uint8_t>(out[bit / 8] | (v & 0xFF));
    if ((bit % 8) + static_cast<size_t>(width) > 8) out[bit / 8 + 1] = static_cast<uint8_t>(out[bit / 8 + 1] | (v >> 8));
  }
}

inline void unpack_codes(const uint8_t* in, size_t count, int width, uint8_t* codes) {
  const unsigned mask = (1u << width) - 1;
  for (size_t i = 0; i < count; ++i) {
    const size_t bit = i * static_cast<size_t>(width);
    unsigned v = in[bit / 8];
    if ((bit % 8) + static_cast<size_t>(width) > 8) v |= static_cast<unsigned>(in[bit / 8 + 1]) << 8;
    codes[i] = static_cast<uint8_t>((v >> (bit % 8)) & mask);
  }
}

}  // namespace hifloat
