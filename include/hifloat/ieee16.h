// IEEE binary16 ("half") and bfloat16 storage types with exact widening and
// round-to-nearest-even narrowing. Header-only, constexpr, no dependencies:
// C++20 has no std::float16_t, and the library must not depend on compiler
// extensions such as _Float16 for its reference semantics.
#pragma once

#include <bit>
#include <cstdint>

namespace hifloat {

// Round-to-nearest-even narrowing of a float32 bit pattern to binary16 bits.
// Handles subnormals, overflow to infinity and NaN (kept quiet, sign kept).
constexpr uint16_t float_to_half_bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) {  // NaN: keep the top payload bits, force quiet
    return static_cast<uint16_t>(sign | 0x7E00u | ((a >> 13) & 0x3FFu));
  }
  if (a >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520 rounds to Inf
  if (a < 0x38800000u) {  // below 2^-14: half subnormal or zero
    if (a < 0x33000000u) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to 0)
    const uint32_t exp = a >> 23;
    const uint32_t sig = (a & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126u - exp;  // 14..24: bits dropped to reach units of 2^-24
    uint32_t q = sig >> shift;
    const uint32_t rem = sig & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  // Normal: rebias 127 -> 15 and round the 13 dropped bits to nearest even.
  uint32_t h = a - (112u << 23);
  h += 0xFFFu + ((h >> 13) & 1u);
  return static_cast<uint16_t>(sign | (h >> 13));
}

// Exact widening of binary16 bits to float32.
constexpr float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t man = h & 0x3FFu;
  if (exp == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (man << 13));
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (man << 13));
  if (man == 0) return std::bit_cast<float>(sign);
  // Subnormal: value = man * 2^-24, exactly representable as a float32 normal.
  const int lz = std::countl_zero(man) - 22;  // leading zeros within 10 bits
  const uint32_t norm = (man << (lz + 1)) & 0x3FFu;
  const uint32_t e = static_cast<uint32_t>(113 - lz - 1);
  return std::bit_cast<float>(sign | (e << 23) | (norm << 13));
}

// Round-to-nearest-even narrowing of float32 to bfloat16 bits; NaN stays a quiet NaN.
constexpr uint16_t float_to_bfloat16_bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

constexpr float bfloat16_bits_to_float(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

// Storage-only 16-bit float types. Arithmetic is done in float.
struct float16 {
  uint16_t bits = 0;
  static constexpr float16 from_bits(uint16_t b) { float16 h; h.bits = b; return h; }
  constexpr float16() = default;
  constexpr explicit float16(float f) : bits(float_to_half_bits(f)) {}
  constexpr explicit operator float() const { return half_bits_to_float(bits); }
};

struct bfloat16 {
  uint16_t bits = 0;
  static constexpr bfloat16 from_bits(uint16_t b) { bfloat16 h; h.bits = b; return h; }
  constexpr bfloat16() = default;
  constexpr explicit bfloat16(float f) : bits(float_to_bfloat16_bits(f)) {}
  constexpr explicit operator float() const { return bfloat16_bits_to_float(bits); }
};

static_assert(sizeof(float16) == 2 && sizeof(bfloat16) == 2);

}  // namespace hifloat
