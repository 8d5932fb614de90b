#include "kernels/fast_paths.h"

#include <string>

#include "hifloat/error.h"
#include "hifloat/fp8_array.h"
#include "hifloat/hif8_array.h"
#include "kernels/fp8_kernels.h"
#include "kernels/hif4_kernels.h"
#include "kernels/hif8_kernels.h"

namespace hifloat::kernels {
namespace {

size_t element_count(const Shape& shape) { return static_cast<size_t>(num_elements(shape)); }

}  // namespace

// Elementwise formats store one record per element in C order, so flat index
// i of the tensor is byte i of the packed data.

bool encode_fast(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 const ExecOptions& exec) {
  const size_t n = element_count(shape);
  if (is_hif4_family(format.name)) {  // out was sized by the codec's packed_bytes (api.cc)
    hif4_encode(x, LineGeometry(shape, axis), out.data(), hif4_params(format), exec.threads);
    return true;
  }
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
  const size_t n = element_count(shape);
  if (is_hif4_family(format.name)) {  // in.size() was checked against packed_bytes (api.cc)
    hif4_decode(in.data(), LineGeometry(shape, axis), out, hif4_params(format), exec.threads);
    return true;
  }
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
  const size_t n = element_count(shape);
  if (is_hif4_family(format.name)) {
    hif4_fake_quant(x, LineGeometry(shape, axis), out, hif4_params(format), exec.threads);
    return true;
  }
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
