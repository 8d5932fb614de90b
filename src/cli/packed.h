// Packed tensors in safetensors files from the command line (docs/formats.md).
#pragma once

#include <string>

#include "hifloat/npy.h"

namespace hifloat::cli {

// Name of the tensor `encode FORMAT IN.npy OUT.safetensors` writes.
inline constexpr const char* kSingleTensorName = "x";

// Reads a .npy of float32, float64 or float16 values.
NpyArray read_float_npy(const std::string& path);

// Encodes IN.npy into a safetensors file holding one packed tensor "x".
void encode_to_safetensors(const std::string& format, const std::string& in, const std::string& out, int axis);

// Decodes one packed tensor of IN.safetensors into a float32 .npy. An empty
// `tensor` means the file's only packed tensor.
void decode_from_safetensors(const std::string& in, const std::string& out, const std::string& tensor);

}  // namespace hifloat::cli
