// NVFP4 fast paths (both tensor_scale settings, any blocking axis): SIMD with
// runtime dispatch, threaded (`threads` as ExecOptions::threads). Each equals
// the scalar reference codec (src/formats/nvfp4.cc) bit for bit.
#pragma once

#include <cstdint>
#include <span>

#include "hifloat/codec.h"

namespace hifloat::kernels {

void nvfp4_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                  int threads);
void nvfp4_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                      int threads);
// Returns false, writing nothing useful, when the data is invalid (a block
// scale with its sign bit set, a bad tensor scale): the caller then runs the
// reference, which reports the error.
bool nvfp4_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                  int threads);

// The tensor scale g of §2 step 1 (vectorised, threaded amax).
float nvfp4_tensor_scale(const float* x, size_t n, int threads);

}  // namespace hifloat::kernels
