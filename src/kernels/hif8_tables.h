// Lookup tables of the HiF8 kernels, all derived from the reference decoder
// hif8_detail::decode_bits (include/hifloat/hif8.h), 32-bit entries for gathers.
#pragma once

#include <array>
#include <cstdint>

#include "hifloat/hif8.h"
#include "hifloat/ieee16.h"

namespace hifloat::kernels {

// Code -> float32 bits is hif8_detail::kDecodeTable.

// Code -> binary16 / bfloat16 bits. Every HiF8 value is exact in both.
inline constexpr std::array<uint32_t, 256> kHif8ToHalf = [] {
  std::array<uint32_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = float_to_half_bits(std::bit_cast<float>(hif8_detail::decode_bits(static_cast<uint8_t>(c))));
  }
  return t;
}();
inline constexpr std::array<uint32_t, 256> kHif8ToBfloat16 = [] {
  std::array<uint32_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = float_to_bfloat16_bits(std::bit_cast<float>(hif8_detail::decode_bits(static_cast<uint8_t>(c))));
  }
  return t;
}();

// The inverse of decoding: indexed by the top 12 bits (sign, exponent, three
// mantissa bits) of the float32 value of a code, it gives that code. Every
// HiF8 value has at most 3 mantissa bits, so 12 bits identify it; NaN's
// decoded pattern 0x7FC00000 maps to 0x80. Unused entries are 0.
inline constexpr std::array<uint32_t, 4096> kHif8CodeOfTop12 = [] {
  std::array<uint32_t, 4096> t{};
  for (int c = 255; c >= 0; --c) t[hif8_detail::decode_bits(static_cast<uint8_t>(c)) >> 20] = static_cast<uint32_t>(c);
  return t;
}();

static_assert(kHif8CodeOfTop12[0] == 0x00 && kHif8CodeOfTop12[0x7FC] == 0x80 && kHif8CodeOfTop12[0x7F8] == 0x6F &&
              kHif8CodeOfTop12[0xFF8] == 0xEF && kHif8CodeOfTop12[0x3F8] == 0x08);

}  // namespace hifloat::kernels
