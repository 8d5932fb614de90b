// Fast paths of the block formats (MX family, NVFP4; spec/BASELINES.md §2–§4).
//
// A BlockKernel encodes and decodes runs of whole, contiguous blocks (SIMD
// with runtime dispatch, see mx_kernels.cc / nvfp4_kernels.cc). The tensor
// driver (block_driver.cc) forms the blocks along any axis exactly as the
// scalar Codec does (lines along the axis, zero padding, records in line
// order): runs of full blocks along a contiguous last axis are passed in
// place, tails and strided lines are gathered into a per-thread scratch
// buffer. Work is split over threads by blocks, so results never depend on
// the thread count. Everything equals the scalar Codec bit for bit.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "hifloat/codec.h"

namespace hifloat::kernels {

class BlockKernel {
 public:
  virtual ~BlockKernel() = default;
  virtual int64_t block() const = 0;
  virtual size_t record_bytes() const = 0;
  virtual size_t header_bytes() const { return 0; }
  // Tensor-wide pass over all n elements (e.g. NVFP4's tensor scale).
  virtual void encode_header(const float* /*x*/, size_t /*n*/, uint8_t* /*header*/, int /*threads*/) const {}
  // nblocks whole blocks: x holds nblocks * block() floats, rec nblocks records.
  virtual void encode_blocks(const float* x, size_t nblocks, const uint8_t* header, uint8_t* rec) const = 0;
  virtual void decode_blocks(const uint8_t* rec, size_t nblocks, const uint8_t* header, float* out) const = 0;
};

// nullptr when `format` is not one of the kernel's formats.
std::unique_ptr<BlockKernel> make_mx_kernel(const FormatSpec& format);
std::unique_ptr<BlockKernel> make_nvfp4_kernel(const FormatSpec& format);

// Tensor drivers (same layout and checks as Codec::quantize / dequantize / fake_quant).
void block_encode(const BlockKernel& k, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                  int threads);
void block_decode(const BlockKernel& k, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                  int threads);
void block_fake_quant(const BlockKernel& k, const float* x, const Shape& shape, int axis, float* out, int threads);

namespace detail {

static_assert(std::endian::native == std::endian::little, "the SWAR packers assume a little-endian host");

// Bit packing of spec/BASELINES.md §0 (as formats/bitpack.h) for 4-, 6- and
// 8-bit codes, `count` a multiple of 8, with word-wide shifts (SWAR).
inline void pack_codes_swar(const uint8_t* codes, size_t count, int width, uint8_t* out) {
  if (width == 8) {
    std::memcpy(out, codes, count);
  } else if (width == 4) {
    for (size_t i = 0; i < count; i += 8, out += 4) {
      uint64_t x;
      std::memcpy(&x, codes + i, 8);
      x &= 0x0F0F0F0F0F0F0F0Full;
      x = (x | (x >> 4)) & 0x00FF00FF00FF00FFull;   // byte pairs -> one byte
      x = (x | (x >> 8)) & 0x0000FFFF0000FFFFull;
      x = (x | (x >> 16)) & 0x00000000FFFFFFFFull;
      const uint32_t w = static_cast<uint32_t>(x);
      std::memcpy(out, &w, 4);
    }
  } else {  // 6: four codes -> 24-bit little-endian word
    for (size_t i = 0; i < count; i += 4, out += 3) {
      uint32_t x;
      std::memcpy(&x, codes + i, 4);
      const uint32_t y = (x & 0x3Fu) | ((x >> 2) & 0xFC0u) | ((x >> 4) & 0x3F000u) | ((x >> 6) & 0xFC0000u);
      out[0] = static_cast<uint8_t>(y);
      out[1] = static_cast<uint8_t>(y >> 8);
      out[2] = static_cast<uint8_t>(y >> 16);
    }
  }
}

inline void unpack_codes_swar(const uint8_t* in, size_t count, int width, uint8_t* codes) {
  if (width == 8) {
    std::memcpy(codes, in, count);
  } else if (width == 4) {
    for (size_t i = 0; i < count; i += 8, in += 4) {
      uint32_t w;
      std::memcpy(&w, in, 4);
      uint64_t x = w;
      x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
      x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
      x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
      std::memcpy(codes + i, &x, 8);
    }
  } else {
    for (size_t i = 0; i < count; i += 4, in += 3) {
      const uint32_t y = in[0] | (uint32_t{in[1]} << 8) | (uint32_t{in[2]} << 16);
      const uint32_t x = (y & 0x3Fu) | ((y << 2) & 0x3F00u) | ((y << 4) & 0x3F0000u) | ((y << 6) & 0x3F000000u);
      std::memcpy(codes + i, &x, 4);
    }
  }
}

// An element grid for the SIMD rounding (see GridCodes in grid_round-inl.h).
struct GridParams {
  int mbits;          // mantissa bits M (0 for mxint8)
  int normal_field;   // fp32 exponent field of the grid's smallest normal (127 + emin); huge for mxint8
  int quantum_exp;    // exponent of the grid's smallest step: emin − M (−6 for mxint8)
  int max_code;       // largest finite magnitude code (127 for mxint8)
  bool artefact;      // RNE* of §4.3: 0.5 − 2^−25 in quanta rounds to 1
};

}  // namespace detail
}  // namespace hifloat::kernels
