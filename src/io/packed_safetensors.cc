#include "hifloat/packed_safetensors.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "hifloat/error.h"
#include "io/checked_size.h"
#include "io/strict_json.h"

namespace hifloat {

namespace {

using json = nlohmann::json;
constexpr std::string_view kPrefix = "hifloat:";

// No real tensor has more than 2^48 elements; capping the logical shape keeps
// every size a codec computes from it far from overflow, so a crafted shape
// cannot make packed_bytes() wrap around to the stored byte count.
constexpr uint64_t kMaxPackedElements = uint64_t{1} << 48;

bool is_float_dtype(StDType d) {
  return d == StDType::F64 || d == StDType::F32 || d == StDType::F16 || d == StDType::BF16;
}

void check_version(const SafetensorsReader& file) {
  const auto it = file.metadata().find(kPackedVersionKey);
  if (it == file.metadata().end()) {
    throw Error(file.name() + ": has hifloat: metadata but no '" + kPackedVersionKey + "' entry (expected \"" +
                kPackedVersion + "\")");
  }
  if (it->second != kPackedVersion) {
    throw Error(file.name() + ": unsupported " + kPackedVersionKey + " '" + it->second + "' (this build reads \"" +
                kPackedVersion + "\")");
  }
}

}  // namespace

std::string packed_metadata_key(std::string_view tensor) { return std::string(kPrefix) + std::string(tensor); }

size_t add_packed(SafetensorsLayout& layout, const std::string& name, const FormatSpec& format, const Shape& shape,
                  int axis, StDType original_dtype) {
  if (!is_float_dtype(original_dtype)) {
    throw Error("packed tensor '" + name + "': original dtype " + st_dtype_name(original_dtype) +
                " is not a float type (F64, F32, F16, BF16)");
  }
  const int a = normalize_axis(shape, axis);
  const size_t nbytes = make_codec(format)->packed_bytes(shape, a);
  // Keys in the documented order (format, shape, axis, dtype).
  const nlohmann::ordered_json meta = {
      {"format", format.str()}, {"shape", shape}, {"axis", a}, {"dtype", st_dtype_name(original_dtype)}};
  layout.metadata[packed_metadata_key(name)] = meta.dump();
  layout.metadata[kPackedVersionKey] = kPackedVersion;
  layout.add(name, StDType::U8, {static_cast<int64_t>(nbytes)});
  return nbytes;
}

void write_packed_safetensors(const std::string& path, std::span<const NamedPacked> tensors) {
  SafetensorsLayout layout;
  for (const NamedPacked& t : tensors) {
    const size_t nbytes = add_packed(layout, t.name, *t.packed, t.dtype);
    if (nbytes != t.packed->data.size()) {
      throw Error(path + ": packed tensor '" + t.name + "' holds " + std::to_string(t.packed->data.size()) +
                  " bytes, but its format and shape need " + std::to_string(nbytes));
    }
  }
  SafetensorsWriter w(path, std::move(layout));
  for (const NamedPacked& t : tensors) w.write_tensor(t.name, t.packed->data);
  w.commit();
}

bool is_packed(const SafetensorsReader& file, std::string_view tensor) {
  return file.metadata().count(packed_metadata_key(tensor)) != 0;
}

std::vector<std::string> packed_tensor_names(const SafetensorsReader& file) {
  bool any = false;
  for (const auto& [key, value] : file.metadata()) {
    if (key.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    any = true;
    const std::string tensor = key.substr(kPrefix.size());
    if (!file.find(tensor)) {
      throw Error(file.name() + ": metadata entry '" + key + "' names no tensor in the file");
    }
  }
  std::vector<std::string> names;
  if (!any) return names;
  check_version(file);
  for (const StTensorInfo& t : file.tensors()) {
    if (is_packed(file, t.name)) {
      packed_info(file, t.name);  // validates
      names.push_back(t.name);
    }
  }
  return names;
}

PackedTensorInfo packed_info(const SafetensorsReader& file, std::string_view tensor) {
  const std::string key = packed_metadata_key(tensor);
  const std::string where = file.name() + ": packed tensor '" + std::string(tensor) + "': ";
  const auto it = file.metadata().find(key);
  if (it == file.metadata().end()) throw Error(where + "no metadata entry '" + key + "' (not a packed tensor)");
  check_version(file);
  const StTensorInfo& stored = file.tensor(tensor);

  const json j = io::parse_strict_json(it->second, where + "metadata '" + key + "'");
  if (!j.is_object() || j.size() != 4 || !j.contains("format") || !j.contains("shape") || !j.contains("axis") ||
      !j.contains("dtype")) {
    throw Error(where + "metadata must be a JSON object with exactly the keys format, shape, axis, dtype; got " +
                it->second);
  }
  PackedTensorInfo info;
  info.name = std::string(tensor);

  const json& fmt = j["format"];
  if (!fmt.is_string()) throw Error(where + "'format' must be a format string");
  std::unique_ptr<Codec> codec;
  try {
    info.format = parse_format(fmt.get<std::string>());
    codec = make_codec(info.format);
  } catch (const Error& e) {
    throw Error(where + e.what());
  }

  const json& shape = j["shape"];
  if (!shape.is_array()) throw Error(where + "'shape' must be an array of non-negative integers");
  for (const json& d : shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > kMaxPackedElements) {
      throw Error(where + "shape entry " + d.dump() + " is not an integer in [0, 2^48]");
    }
    info.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }
  if (!io::checked_nbytes(info.shape, 1, kMaxPackedElements)) {
    throw Error(where + "shape " + shape.dump() + " has more than 2^48 elements");
  }

  const json& axis = j["axis"];
  const int rank = info.shape.empty() ? 1 : static_cast<int>(info.shape.size());
  if (!axis.is_number_integer() || axis.get<int64_t>() < 0 || axis.get<int64_t>() >= rank) {
    throw Error(where + "axis " + axis.dump() + " is out of range for shape " + shape.dump() + " (expected 0.." +
                std::to_string(rank - 1) + ")");
  }
  info.axis = static_cast<int>(axis.get<int64_t>());

  const json& dtype = j["dtype"];
  const auto dt = dtype.is_string() ? parse_st_dtype(dtype.get<std::string>()) : std::nullopt;
  if (!dt || !is_float_dtype(*dt)) {
    throw Error(where + "dtype " + dtype.dump() + " is not one of F64, F32, F16, BF16");
  }
  info.dtype = *dt;

  if (stored.dtype != StDType::U8 || stored.shape.size() != 1) {
    throw Error(where + "stored as " + st_dtype_name(stored.dtype) + " of rank " +
                std::to_string(stored.shape.size()) + "; a packed tensor must be U8 of shape [nbytes]");
  }
  info.nbytes = codec->packed_bytes(info.shape, info.axis);
  if (stored.nbytes() != info.nbytes) {
    throw Error(where + "holds " + std::to_string(stored.nbytes()) + " bytes but format '" + info.format.str() +
                "' with shape " + shape.dump() + " and axis " + std::to_string(info.axis) + " needs " +
                std::to_string(info.nbytes));
  }
  return info;
}

Packed read_packed(const SafetensorsReader& file, std::string_view tensor) {
  const PackedTensorInfo info = packed_info(file, tensor);
  const std::span<const uint8_t> bytes = file.data(tensor);
  Packed p;
  p.format = info.format;
  p.shape = info.shape;
  p.axis = info.axis;
  p.data.assign(bytes.begin(), bytes.end());
  return p;
}

void decode_packed(const SafetensorsReader& file, const PackedTensorInfo& info, std::span<float> out) {
  const size_t n = static_cast<size_t>(num_elements(info.shape));
  if (out.size() != n) {
    throw Error(file.name() + ": packed tensor '" + info.name + "': output holds " + std::to_string(out.size()) +
                " floats, expected " + std::to_string(n));
  }
  make_codec(info.format)->dequantize(file.data(info.name), info.shape, info.axis, out.data());
}

}  // namespace hifloat
