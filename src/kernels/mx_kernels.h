// MX family fast paths (mxfp4, mxfp6_e2m3, mxfp6_e3m2, mxfp8_e4m3,
// mxfp8_e5m2, mxint8; any blocking axis): SIMD with runtime dispatch,
// threaded. Each equals the scalar reference (src/formats/mx.cc) bit for bit.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "hifloat/codec.h"

namespace hifloat::kernels {

// Whether `name` is an MX format with kernels here.
bool mx_has_kernels(const std::string& name);

void mx_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
               int threads);
void mx_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out, int threads);
void mx_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
               int threads);

// The shared exponent E of BASELINES.md §4.2 step 3 for fp32 bits `amax`
// (finite, > 0): the exponent of the bits, plus one at and above the binade's
// threshold (the fp32-log2 artefact). Exposed for the tests.
int mx_shared_exponent_bits(uint32_t amax);

}  // namespace hifloat::kernels
