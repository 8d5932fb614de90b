// Tensor-level fast paths: which formats have SIMD/threaded kernels, and the
// adapters from the tensor API (src/core/api.cc) to them. Each function returns
// false when `format` has no fast path; the caller then runs the scalar Codec.
// Results are bit-identical to the Codec's either way.
#pragma once

#include <cstdint>
#include <span>

#include "hifloat/codec.h"

namespace hifloat::kernels {

bool encode_fast(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 const ExecOptions& exec);
bool decode_fast(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                 const ExecOptions& exec);
bool fake_quant_fast(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                     const ExecOptions& exec);

}  // namespace hifloat::kernels
