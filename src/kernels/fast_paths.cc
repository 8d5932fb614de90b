#include "kernels/fast_paths.h"

#include <string>

#include "hifloat/error.h"
#include "hifloat/fp8_array.h"
#include "hifloat/hif8_array.h"
#include "kernels/block_kernels.h"
#include "kernels/fp8_kernels.h"
#include "kernels/hif4_kernels.h"
#include "kernels/hif8_kernels.h"

namespace hifloat::kernels {
namespace {

size_t element_count(const Shape& shape) { return static_cast<size_t>(num_elements(shape)); }

// Block formats (MX family, NVFP4): block_kernels.h; nullptr for other formats.
std::unique_ptr<BlockKernel> block_kernel(const FormatSpec& format) {
  if (auto k = make_mx_kernel(format)) return k;
  return make_nvfp4_kernel(format);
}

// HiFloat4 family: the magnitude bit count m, or 0 when `format` is not a
// member or uses a rounding without a fast path (stochastic).
int hif4_magnitude_bits(const FormatSpec& format, Hif4Mode* mode) {
  int m = 0;
  if (format.name == "hif4" || format.name == "hifx4") m = 3;
  else if (format.name == "hifx2") m = 1;
  else if (format.name == "hifx3") m = 2;
  else if (format.name == "hifx5") m = 4;
  if (m == 0) return 0;
  const std::string& r = format.option("rounding");
  if (r == "away") *mode = Hif4Mode::kAway;
  else if (r == "even") *mode = Hif4Mode::kEven;
  else return 0;
  return m;
}

void check_hif4_bytes(const FormatSpec& format, int m, const LineGeometry& g, size_t have, const char* what) {
  const size_t need = static_cast<size_t>(g.lines * ((g.length + 63) / 64) * hif4_unit_bytes(m));
  if (have != need) {
    throw Error(format.name + " " + what + ": packed data holds " + std::to_string(have) + " bytes, expected " +
                std::to_string(need));
  }
}

}  // namespace

// Elementwise formats store one record per element in C order, so flat index
// i of the tensor is byte i of the packed data.

bool encode_fast(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 const ExecOptions& exec) {
  if (auto k = block_kernel(format)) return block_encode(*k, x, shape, axis, out, exec.threads), true;
  const size_t n = element_count(shape);
  Hif4Mode mode = Hif4Mode::kAway;
  if (const int m = hif4_magnitude_bits(format, &mode)) {
    const LineGeometry g(shape, axis);
    check_hif4_bytes(format, m, g, out.size(), "encode");
    hif4_encode(m, mode, x, g, out.data(), exec.threads);
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
  if (auto k = block_kernel(format)) return block_decode(*k, in, shape, axis, out, exec.threads), true;
  const size_t n = element_count(shape);
  Hif4Mode mode = Hif4Mode::kAway;
  if (const int m = hif4_magnitude_bits(format, &mode)) {  // decoding does not depend on the rounding
    const LineGeometry g(shape, axis);
    check_hif4_bytes(format, m, g, in.size(), "decode");
    hif4_decode(m, in.data(), g, out, exec.threads);
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
  if (auto k = block_kernel(format)) return block_fake_quant(*k, x, shape, axis, out, exec.threads), true;
  const size_t n = element_count(shape);
  Hif4Mode mode = Hif4Mode::kAway;
  if (const int m = hif4_magnitude_bits(format, &mode)) {
    hif4_fake_quant(m, mode, x, LineGeometry(shape, axis), out, exec.threads);
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
