// Fast paths of the symmetric integer formats: int8 (one fp32 scale per line,
// spec/BASELINES.md §7) and int4:group=G (fp16 scale per group, §8), any
// blocking axis: SIMD with runtime dispatch, threaded. Each equals its scalar
// reference (src/formats/int8.cc, int4.cc) bit for bit.
#pragma once

#include <cstdint>
#include <span>

#include "hifloat/codec.h"

namespace hifloat::kernels {

void int8_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 int threads);
void int8_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out, int threads);
void int8_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                 int threads);

void int4_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 int threads);
void int4_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out, int threads);
void int4_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                 int threads);

}  // namespace hifloat::kernels
