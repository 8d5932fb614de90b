#include "kernels/fast_paths.h"

#include <string>

#include "hifloat/error.h"
#include "hifloat/fp8_array.h"
#include "hifloat/hif8_array.h"
#include "kernels/fp8_kernels.h"
#include "kernels/hif8_kernels.h"
#include "kernels/int_kernels.h"
#include "kernels/mx_kernels.h"
#include "kernels/nvfp4_kernels.h"

namespace hifloat::kernels {
namespace {

size_t element_count(const Shape& shape) { return static_cast<size_t>(num_elements(shape)); }

// Block formats (NVFP4, MX, int8, int4): blocks along `axis`, the layout of
// hifloat/codec.h; the callers (src/core/api.cc) size the buffers.
bool encode_block_format(const FormatSpec& format, const float* x, const Shape& shape, int axis,
                         std::span<uint8_t> out, int threads) {
  if (format.name == "nvfp4") nvfp4_encode(format, x, shape, axis, out, threads);
  else if (mx_has_kernels(format.name)) mx_encode(format, x, shape, axis, out, threads);
  else if (format.name == "int8") int8_encode(format, x, shape, axis, out, threads);
  else if (format.name == "int4") int4_encode(format, x, shape, axis, out, threads);
  else return false;
  return true;
}

bool decode_block_format(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis,
                         float* out, int threads) {
  if (format.name == "nvfp4") return nvfp4_decode(format, in, shape, axis, out, threads);  // false: invalid data
  if (mx_has_kernels(format.name)) mx_decode(format, in, shape, axis, out, threads);
  else if (format.name == "int8") int8_decode(format, in, shape, axis, out, threads);
  else if (format.name == "int4") int4_decode(format, in, shape, axis, out, threads);
  else return false;
  return true;
}

bool fake_quant_block_format(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                             int threads) {
  if (format.name == "nvfp4") nvfp4_fake_quant(format, x, shape, axis, out, threads);
  else if (mx_has_kernels(format.name)) mx_fake_quant(format, x, shape, axis, out, threads);
  else if (format.name == "int8") int8_fake_quant(format, x, shape, axis, out, threads);
  else if (format.name == "int4") int4_fake_quant(format, x, shape, axis, out, threads);
  else return false;
  return true;
}

}  // namespace

// Elementwise formats store one record per element in C order, so flat index
// i of the tensor is byte i of the packed data.

bool encode_fast(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 const ExecOptions& exec) {
  if (encode_block_format(format, x, shape, axis, out, exec.threads)) return true;
  const size_t n = element_count(shape);
  if (format.name == "hif8") {
    if (out.size() != n) throw Error("hif8 encode: output holds " + std::to_string(out.size()) + " bytes, need " + std::to_string(n));
    hif8_encode(x, out.data(), n, hif8_options(format), 0, exec.threads);
    return true;
  }
  if (format.name == "fp8_e4m3" || format.name == "fp8_e5m2") {
    if (out.size() != n) throw Error(format.name + " encode: output holds " + std::to_string(out.size()) + " bytes, need " + std::to_string(n));
    if (format.name == "fp8_e4m3") fp8_e4m3_encode(x, out.data(), n, fp8_e4m3_overflow(format), exec.threads);
    else fp8_e5m2_encode(x, out.data(), n, fp8_e5m2_overflow(format), exec.threads);
    return true;
  }
  return false;
}

bool decode_fast(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                 const ExecOptions& exec) {
  if (format.name == "nvfp4" || mx_has_kernels(format.name) || format.name == "int8" || format.name == "int4") {
    return decode_block_format(format, in, shape, axis, out, exec.threads);
  }
  const size_t n = element_count(shape);
  if (format.name == "hif8") {
    if (in.size() != n) throw Error("hif8 decode: packed data holds " + std::to_string(in.size()) + " bytes, expected " + std::to_string(n));
    hif8_decode(in.data(), out, n, exec.threads);
    return true;
  }
  if (format.name == "fp8_e4m3" || format.name == "fp8_e5m2") {
    if (in.size() != n) throw Error(format.name + " decode: packed data holds " + std::to_string(in.size()) + " bytes, expected " + std::to_string(n));
    if (format.name == "fp8_e4m3") fp8_e4m3_decode(in.data(), out, n, exec.threads);
    else fp8_e5m2_decode(in.data(), out, n, exec.threads);
    return true;
  }
  return false;
}

bool fake_quant_fast(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                     const ExecOptions& exec) {
  if (fake_quant_block_format(format, x, shape, axis, out, exec.threads)) return true;
  const size_t n = element_count(shape);
  if (format.name == "hif8") {
    hif8_fake_quant(x, out, n, hif8_options(format), 0, exec.threads);
    return true;
  }
  if (format.name == "fp8_e4m3") {
    fp8_e4m3_fake_quant(x, out, n, fp8_e4m3_overflow(format), exec.threads);
    return true;
  }
  if (format.name == "fp8_e5m2") {
    fp8_e5m2_fake_quant(x, out, n, fp8_e5m2_overflow(format), exec.threads);
    return true;
  }
  return false;
}

}  // namespace hifloat::kernels
