// Lookup tables of the HiF8 kernels, all derived from the reference's layout
// functions (hif8_detail in include/hifloat/hif8.h), 32-bit entries.
#pragma once

#include <array>
#include <cstdint>

#include "hifloat/hif8.h"
#include "hifloat/ieee16.h"

namespace hifloat::kernels {

// Per-binade tables of the encoder, indexed by E + 16 for the binade 2^E of a
// magnitude, E in [-16, 15]; index 0 also serves E < -16 (all denormal powers
// 2^-22..2^-16 behave alike: no mantissa bits). mb = mantissa bits kept.
namespace hif8_lut {

constexpr int exponent_of(int index) { return index - 16; }

// Half the grid step in float32 mantissa units: 2^(22 - mb).
inline constexpr std::array<int32_t, 32> kHalfStep = [] {
  std::array<int32_t, 32> t{};
  for (int i = 0; i < 32; ++i) t[i] = int32_t{1} << (22 - hif8_detail::mantissa_bits(exponent_of(i)));
  return t;
}();

// Stochastic rounding: a 24-bit draw d rounds up iff rem + (d >> (1 + mb)) >= step.
inline constexpr std::array<int32_t, 32> kDrawShift = [] {
  std::array<int32_t, 32> t{};
  for (int i = 0; i < 32; ++i) t[i] = 1 + hif8_detail::mantissa_bits(exponent_of(i));
  return t;
}();

// Code of a grid value with float32 bits v in binade E: (v + entry) >> (entry & 31).
// entry = ((H - (E + 127)) << 23) + (23 - mb), where H = code_of(E, 0) >> mb is
// the code without its mantissa bits: adding it swaps the float32 exponent for
// H, the shift drops the mantissa bits HiF8 does not keep (zero in a grid value)
// and the small shift count in the low bits with them.
inline constexpr std::array<int32_t, 32> kCodeEntry = [] {
  std::array<int32_t, 32> t{};
  for (int i = 0; i < 32; ++i) {
    const int E = exponent_of(i), mb = hif8_detail::mantissa_bits(E);
    const int H = hif8_detail::code_of(E, 0) >> mb;
    const uint32_t offset = static_cast<uint32_t>(H - (E + 127)) << 23;
    t[i] = static_cast<int32_t>(offset + static_cast<uint32_t>(23 - mb));
  }
  return t;
}();

// Check the code formula on every finite non-zero HiF8 value at compile time.
constexpr bool code_entries_agree_with_decoding() {
  for (int c = 1; c < 256; ++c) {
    if (c == 0x80 || (c & 0x7F) == 0x6F) continue;
    const uint32_t v = hif8_detail::decode_bits(static_cast<uint8_t>(c)) & 0x7FFFFFFFu;
    const int E = static_cast<int>(v >> 23) - 127;
    const uint32_t entry = static_cast<uint32_t>(kCodeEntry[E < -16 ? 0 : E + 16]);
    if (((v + entry) >> (entry & 31)) != static_cast<uint32_t>(c & 0x7F)) return false;
  }
  return true;
}
static_assert(code_entries_agree_with_decoding());

// Decoding inverts that: for a code with magnitude bits r (not 0, not Inf),
// value bits = (r << s) - entry + s with the entry of its binade. The binade
// is fixed by r >> 1 (the dot prefix, exponent field and all but the last
// mantissa bit; for the denormal powers the formula is linear in r anyway),
// so this table is indexed by r >> 1 (64 entries).
inline constexpr std::array<int32_t, 64> kDecodeEntry = [] {
  std::array<int32_t, 64> t{};
  for (int i = 0; i < 64; ++i) {
    // Code 2i shares the binade of 2i + 1; code 0 (zero) does not: use 1 there.
    const uint32_t v = hif8_detail::decode_bits(static_cast<uint8_t>(i == 0 ? 1 : 2 * i));
    const int E = static_cast<int>(v >> 23) - 127;
    t[i] = kCodeEntry[E < -16 ? 0 : E + 16];
  }
  return t;
}();

constexpr bool decode_entries_agree_with_decoding() {
  for (uint32_t r = 1; r < 128; ++r) {
    if (r == hif8_detail::kInf) continue;
    const uint32_t entry = static_cast<uint32_t>(kDecodeEntry[r >> 1]);
    const uint32_t s = entry & 31;
    if ((r << s) - entry + s != hif8_detail::decode_bits(static_cast<uint8_t>(r))) return false;
  }
  return true;
}
static_assert(decode_entries_agree_with_decoding());

}  // namespace hif8_lut

}  // namespace hifloat::kernels
