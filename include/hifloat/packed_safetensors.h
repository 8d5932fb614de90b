// Packed tensors in safetensors files (docs/formats.md, "Packed tensors in
// safetensors files"): each is a U8 tensor of shape [nbytes] holding the
// format's packed bytes; the metadata entry `hifloat:<name>` holds compact
// JSON {"format", "shape", "axis", "dtype"} and `hifloat.version` is "1".
// Tensors without a `hifloat:` entry are plain tensors.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/safetensors.h"

namespace hifloat {

inline constexpr const char* kPackedVersionKey = "hifloat.version";
inline constexpr const char* kPackedVersion = "1";

// "hifloat:" + tensor.
std::string packed_metadata_key(std::string_view tensor);

// What the metadata of a packed tensor says, validated against the file.
struct PackedTensorInfo {
  std::string name;
  FormatSpec format;
  Shape shape;                   // logical shape
  int axis = 0;                  // blocking axis, in [0, rank)
  StDType dtype = StDType::F32;  // dtype before quantisation (F64, F32, F16 or BF16)
  size_t nbytes = 0;             // packed bytes, == make_codec(format)->packed_bytes(shape, axis)
};

// Declares a packed tensor in `layout`: the U8 tensor of the format's packed
// size and its metadata entry (and the version entry). `axis` may be negative.
// Returns the packed byte count.
size_t add_packed(SafetensorsLayout& layout, const std::string& name, const FormatSpec& format, const Shape& shape,
                  int axis, StDType original_dtype = StDType::F32);
inline size_t add_packed(SafetensorsLayout& layout, const std::string& name, const Packed& p,
                         StDType original_dtype = StDType::F32) {
  return add_packed(layout, name, p.format, p.shape, p.axis, original_dtype);
}

// Writes packed tensors (in the order given) to `path`, atomically.
struct NamedPacked {
  std::string name;
  const Packed* packed = nullptr;
  StDType dtype = StDType::F32;  // dtype before quantisation
};
void write_packed_safetensors(const std::string& path, std::span<const NamedPacked> tensors);

// Names of the packed tensors in data order. Validates the file's hifloat
// metadata as a whole: the version, and that every `hifloat:` entry names a
// tensor and is valid (see packed_info).
std::vector<std::string> packed_tensor_names(const SafetensorsReader& file);

// True when the file has a `hifloat:` entry for `tensor`.
bool is_packed(const SafetensorsReader& file, std::string_view tensor);

// Parses and validates the metadata of a packed tensor: the version is "1",
// the JSON is an object with exactly the four keys, the format string parses
// and has a codec, the axis is in range, the original dtype is a float type,
// and the U8 tensor of shape [nbytes] holds exactly the codec's packed size.
// Throws Error naming the file, the tensor and what was expected.
PackedTensorInfo packed_info(const SafetensorsReader& file, std::string_view tensor);

// The packed tensor as a Packed (its bytes copied out of the file).
Packed read_packed(const SafetensorsReader& file, std::string_view tensor);

// Decodes a packed tensor straight from the mapped file into `out`, which
// must hold num_elements(info.shape) floats.
void decode_packed(const SafetensorsReader& file, const PackedTensorInfo& info, std::span<float> out);

}  // namespace hifloat
