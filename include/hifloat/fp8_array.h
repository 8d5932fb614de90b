// OCP FP8 (fp8_e4m3, fp8_e5m2; spec/BASELINES.md §5, §6) over contiguous arrays
// of float32, float16 and bfloat16. Elementwise: no scale, no blocks.
// Sizes of `in` and `out` must match (else hifloat::Error). `exec` picks the
// thread count or forces the scalar reference; results are identical either way.
#pragma once

#include <cstdint>
#include <span>

#include "hifloat/exec.h"
#include "hifloat/format.h"
#include "hifloat/fp8.h"
#include "hifloat/ieee16.h"

namespace hifloat {

void fp8_e4m3_encode(std::span<const float> in, std::span<uint8_t> out, E4M3Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e4m3_encode(std::span<const float16> in, std::span<uint8_t> out, E4M3Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e4m3_encode(std::span<const bfloat16> in, std::span<uint8_t> out, E4M3Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e5m2_encode(std::span<const float> in, std::span<uint8_t> out, E5M2Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e5m2_encode(std::span<const float16> in, std::span<uint8_t> out, E5M2Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e5m2_encode(std::span<const bfloat16> in, std::span<uint8_t> out, E5M2Overflow overflow = {},
                     const ExecOptions& exec = {});

// Exact: every OFP8 value is representable in all three output types.
void fp8_e4m3_decode(std::span<const uint8_t> in, std::span<float> out, const ExecOptions& exec = {});
void fp8_e4m3_decode(std::span<const uint8_t> in, std::span<float16> out, const ExecOptions& exec = {});
void fp8_e4m3_decode(std::span<const uint8_t> in, std::span<bfloat16> out, const ExecOptions& exec = {});
void fp8_e5m2_decode(std::span<const uint8_t> in, std::span<float> out, const ExecOptions& exec = {});
void fp8_e5m2_decode(std::span<const uint8_t> in, std::span<float16> out, const ExecOptions& exec = {});
void fp8_e5m2_decode(std::span<const uint8_t> in, std::span<bfloat16> out, const ExecOptions& exec = {});

// decode(encode(x)) in the input's type.
void fp8_e4m3_fake_quant(std::span<const float> in, std::span<float> out, E4M3Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e4m3_fake_quant(std::span<const float16> in, std::span<float16> out, E4M3Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e4m3_fake_quant(std::span<const bfloat16> in, std::span<bfloat16> out, E4M3Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e5m2_fake_quant(std::span<const float> in, std::span<float> out, E5M2Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e5m2_fake_quant(std::span<const float16> in, std::span<float16> out, E5M2Overflow overflow = {},
                     const ExecOptions& exec = {});
void fp8_e5m2_fake_quant(std::span<const bfloat16> in, std::span<bfloat16> out, E5M2Overflow overflow = {},
                     const ExecOptions& exec = {});

// The `overflow=` option of a parsed `fp8_e4m3[:...]` / `fp8_e5m2[:...]` format string.
E4M3Overflow fp8_e4m3_overflow(const FormatSpec& spec);
E5M2Overflow fp8_e5m2_overflow(const FormatSpec& spec);

}  // namespace hifloat
