// encode FORMAT IN.npy OUT.safetensors and decode IN.safetensors OUT.npy.
#include "cli/packed.h"

#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/hif8_array.h"
#include "hifloat/packed_safetensors.h"

namespace hifloat::cli {

NpyArray read_float_npy(const std::string& path) {
  NpyArray a = read_npy(path);
  if (a.dtype == DType::kUInt8) {
    throw Error(path + ": dtype uint8 is not a floating input (expected float32, float64 or float16)");
  }
  return a;
}

namespace {

StDType st_dtype_of(DType d) {
  switch (d) {
    case DType::kFloat64: return StDType::F64;
    case DType::kFloat16: return StDType::F16;
    case DType::kFloat32: return StDType::F32;
    case DType::kUInt8: break;
  }
  throw Error(std::string("dtype ") + dtype_name(d) + " is not a floating type");
}

Packed encode_array(const FormatSpec& spec, const NpyArray& a, int axis) {
  if (spec.name == "hif8" && a.dtype == DType::kFloat64) {
    // float64 converts directly, without a double rounding through float32;
    // hif8's packed layout is one code per element in C order.
    Packed p;
    p.format = spec;
    p.shape = a.shape;
    p.axis = normalize_axis(a.shape, axis);
    const Hif8Options opt = hif8_options(spec);
    const std::vector<double> x = to_float64(a);
    p.data.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i) p.data[i] = hif8_encode(x[i], opt, i);
    return p;
  }
  const std::vector<float> x = to_float32(a);
  return encode(spec, x.data(), a.shape, axis);
}

}  // namespace

void encode_to_safetensors(const std::string& format, const std::string& in, const std::string& out, int axis) {
  const FormatSpec spec = parse_format(format);
  make_codec(spec);  // fail early for formats without a codec
  const NpyArray a = read_float_npy(in);
  const Packed p = encode_array(spec, a, axis);
  const NamedPacked t{kSingleTensorName, &p, st_dtype_of(a.dtype)};
  write_packed_safetensors(out, std::span<const NamedPacked>(&t, 1));
}

std::string choose_packed_tensor(const SafetensorsReader& file, const std::string& path, const std::string& tensor,
                                 const std::string& option) {
  if (!tensor.empty()) {
    if (!file.find(tensor)) throw Error(path + ": no tensor named '" + tensor + "'");
    if (!is_packed(file, tensor)) throw Error(path + ": tensor '" + tensor + "' is not a packed tensor (no 'hifloat:' entry)");
    return tensor;
  }
  const std::vector<std::string> names = packed_tensor_names(file);
  if (names.empty()) throw Error(path + ": holds no packed tensors (no 'hifloat:' metadata entries)");
  if (names.size() > 1) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error(path + ": holds " + std::to_string(names.size()) + " packed tensors (" + list + "); choose one with " +
                option);
  }
  return names[0];
}

void decode_from_safetensors(const std::string& in, const std::string& out, const std::string& tensor) {
  const SafetensorsReader file(in);
  const std::string name = choose_packed_tensor(file, in, tensor, "--tensor");
  const PackedTensorInfo info = packed_info(file, name);
  std::vector<float> values(static_cast<size_t>(num_elements(info.shape)));
  decode_packed(file, info, values);
  write_npy(out, DType::kFloat32, info.shape, values.data());
}

}  // namespace hifloat::cli
