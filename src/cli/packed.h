// Packed tensors in safetensors files from the command line (docs/formats.md).
#pragma once

#include <string>

#include "hifloat/npy.h"
#include "hifloat/safetensors.h"

namespace hifloat::cli {

// Name of the tensor `encode FORMAT IN.npy OUT.safetensors` writes.
inline constexpr const char* kSingleTensorName = "x";

// Reads a .npy of float32, float64 or float16 values.
NpyArray read_float_npy(const std::string& path);

// Encodes IN.npy into a safetensors file holding one packed tensor "x".
void encode_to_safetensors(const std::string& format, const std::string& in, const std::string& out, int axis);

// The packed tensor of `file` (read from `path`) to use: `tensor` when given
// (which must exist and be packed), else the file's only packed tensor; the
// error for several names `option` as the way to choose.
std::string choose_packed_tensor(const SafetensorsReader& file, const std::string& path, const std::string& tensor,
                                 const std::string& option);

// Decodes one packed tensor of IN.safetensors into a float32 .npy. An empty
// `tensor` means the file's only packed tensor.
void decode_from_safetensors(const std::string& in, const std::string& out, const std::string& tensor);

}  // namespace hifloat::cli
