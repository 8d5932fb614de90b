#include <functional>
#include <map>

#include "formats/formats.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "kernels/fast_paths.h"
#include "kernels/thread_pool.h"

namespace hifloat {

std::unique_ptr<Codec> make_codec(const FormatSpec& spec) {
  using Factory = std::unique_ptr<Codec> (*)(const FormatSpec&);
  static const std::map<std::string, Factory> factories = {
      {"hif8", make_hif8_codec},
      {"hif4", make_hif4_codec},
      {"hifx2", make_hifx2_codec},
      {"hifx3", make_hifx3_codec},
      {"hifx5", make_hifx5_codec},
      {"nvfp4", make_nvfp4_codec},
      {"mxfp4", make_mx_codec},
      {"mxfp6_e2m3", make_mx_codec},
      {"mxfp6_e3m2", make_mx_codec},
      {"mxfp8_e4m3", make_mx_codec},
      {"mxfp8_e5m2", make_mx_codec},
      {"mxint8", make_mx_codec},
      {"fp8_e4m3", make_fp8_e4m3_codec},
      {"fp8_e5m2", make_fp8_e5m2_codec},
      {"int8", make_int8_codec},
      {"int4", make_int4_codec},
  };
  const auto it = factories.find(spec.name);
  if (it == factories.end()) throw Error("format '" + spec.name + "' is not implemented yet");
  return it->second(spec);
}

std::unique_ptr<Codec> make_codec(std::string_view format) { return make_codec(parse_format(format)); }

// Each call validates the thread count, then takes the format's fast path
// (src/kernels/) unless exec.reference is set or the format has none, in which
// case the scalar reference Codec runs. Both give identical results.

Packed encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, const ExecOptions& exec) {
  kernels::resolve_threads(exec.threads);
  const auto codec = make_codec(format);
  Packed p;
  p.format = format;
  p.shape = shape;
  p.axis = normalize_axis(shape, axis);
  p.data.resize(codec->packed_bytes(shape, p.axis));
  if (!exec.reference && kernels::encode_fast(format, x, shape, p.axis, p.data, exec)) return p;
  codec->quantize(x, shape, p.axis, p.data);
  return p;
}

void decode(const Packed& packed, float* out, const ExecOptions& exec) {
  kernels::resolve_threads(exec.threads);
  const auto codec = make_codec(packed.format);
  const size_t need = codec->packed_bytes(packed.shape, packed.axis);
  if (packed.data.size() != need) {
    throw Error("decode: packed " + packed.format.str() + " tensor has " + std::to_string(packed.data.size()) +
                " bytes, its shape needs " + std::to_string(need));
  }
  if (!exec.reference && kernels::decode_fast(packed.format, packed.data, packed.shape, packed.axis, out, exec)) return;
  codec->dequantize(packed.data, packed.shape, packed.axis, out);
}

void fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                const ExecOptions& exec) {
  kernels::resolve_threads(exec.threads);
  const auto codec = make_codec(format);
  const int a = normalize_axis(shape, axis);
  if (!exec.reference && kernels::fake_quant_fast(format, x, shape, a, out, exec)) return;
  codec->fake_quant(x, shape, a, out);
}

}  // namespace hifloat
