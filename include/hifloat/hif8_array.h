// HiF8 over contiguous arrays of float32, float16 and bfloat16.
//
// `first_index` is the flat index of in[0] in the logical tensor: stochastic
// rounding draws its random bits from (seed, flat index), so splitting an
// array into pieces gives the same codes as converting it whole.
//
// `exec` picks the thread count (default 1, 0 = all cores) and can force the
// scalar reference; results are identical either way. Sizes of `in` and `out`
// must match (Error otherwise).
#pragma once

#include <cstdint>
#include <span>

#include "hifloat/exec.h"
#include "hifloat/hif8.h"
#include "hifloat/format.h"
#include "hifloat/ieee16.h"

namespace hifloat {

void hif8_encode(std::span<const float> in, std::span<uint8_t> out, const Hif8Options& opt = {},
                 uint64_t first_index = 0, const ExecOptions& exec = {});
void hif8_encode(std::span<const float16> in, std::span<uint8_t> out, const Hif8Options& opt = {},
                 uint64_t first_index = 0, const ExecOptions& exec = {});
void hif8_encode(std::span<const bfloat16> in, std::span<uint8_t> out, const Hif8Options& opt = {},
                 uint64_t first_index = 0, const ExecOptions& exec = {});

void hif8_decode(std::span<const uint8_t> in, std::span<float> out, const ExecOptions& exec = {});
void hif8_decode(std::span<const uint8_t> in, std::span<float16> out, const ExecOptions& exec = {});
void hif8_decode(std::span<const uint8_t> in, std::span<bfloat16> out, const ExecOptions& exec = {});

// decode(encode(x)) in the input's type.
void hif8_fake_quant(std::span<const float> in, std::span<float> out, const Hif8Options& opt = {},
                     uint64_t first_index = 0, const ExecOptions& exec = {});
void hif8_fake_quant(std::span<const float16> in, std::span<float16> out, const Hif8Options& opt = {},
                     uint64_t first_index = 0, const ExecOptions& exec = {});
void hif8_fake_quant(std::span<const bfloat16> in, std::span<bfloat16> out, const Hif8Options& opt = {},
                     uint64_t first_index = 0, const ExecOptions& exec = {});

// Options of a parsed `hif8[:...]` format string.
Hif8Options hif8_options(const FormatSpec& spec);

}  // namespace hifloat
