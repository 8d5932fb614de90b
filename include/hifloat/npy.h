// NumPy .npy files (format versions 1.0, 2.0 and 3.0), read whole and written
// atomically. Errors name the file and what was wrong with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hifloat/codec.h"

namespace hifloat {

enum class DType { kFloat32, kFloat64, kFloat16, kUInt8 };

const char* dtype_name(DType d);
size_t dtype_size(DType d);

struct NpyArray {
  DType dtype = DType::kFloat32;
  Shape shape;                // () for a 0-d array
  std::vector<uint8_t> data;  // C order, little-endian, dtype_size * num_elements bytes

  size_t num_elements() const { return static_cast<size_t>(hifloat::num_elements(shape)); }
};

// Reads a .npy file. Fortran-ordered arrays are transposed to C order.
// Throws Error for a missing file, bad magic, malformed header, unsupported
// dtype or byte order, or data shorter/longer than the header says.
NpyArray read_npy(const std::string& path);
NpyArray parse_npy(const uint8_t* bytes, size_t size, const std::string& name);

// Values as float32 (float64 is rounded to nearest even, float16 widened exactly).
std::vector<float> to_float32(const NpyArray& a);
// Values as float64 (exact for every supported dtype).
std::vector<double> to_float64(const NpyArray& a);

// Writes via a temporary file in the same directory and a rename, so a failed
// write never leaves a partial file at `path`.
void write_npy(const std::string& path, DType dtype, const Shape& shape, const void* data);
std::vector<uint8_t> serialize_npy(DType dtype, const Shape& shape, const void* data);

// Writes `bytes` to `path` atomically (temporary file + rename).
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace hifloat
