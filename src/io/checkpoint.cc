#include "hifloat/checkpoint.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hifloat/error.h"
#include "hifloat/ieee16.h"

namespace hifloat {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> read_checkpoint_index(const std::string& index_path) {
  std::ifstream f(index_path);
  if (!f) throw Error(index_path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(index_path + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    throw Error(index_path + ": expected a checkpoint index: an object with a \"weight_map\" object");
  }
  const std::filesystem::path dir = std::filesystem::path(index_path).parent_path();
  std::vector<std::string> shards;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) throw Error(index_path + ": weight_map entry '" + tensor + "' is not a file name");
    const std::string path = (dir / file.get<std::string>()).string();
    if (std::find(shards.begin(), shards.end(), path) == shards.end()) shards.push_back(path);
  }
  if (shards.empty()) throw Error(index_path + ": weight_map is empty");
  return shards;
}

Checkpoint::Checkpoint(const std::vector<std::string>& paths) {
  if (paths.empty()) throw Error("no checkpoint files given");
  for (const std::string& p : paths) {
    if (ends_with(p, ".json")) {
      for (const std::string& shard : read_checkpoint_index(p)) add_file(shard);
    } else {
      add_file(p);
    }
  }
}

void Checkpoint::add_file(const std::string& path) {
  for (const auto& f : files_) {
    if (f->name() == path) return;  // named twice (e.g. a shard and its index)
  }
  files_.push_back(std::make_unique<SafetensorsReader>(path));
  const SafetensorsReader& file = *files_.back();
  std::map<std::string_view, const SafetensorsReader*> seen;
  for (const Entry& e : entries_) seen[e.tensor->name] = e.file;
  for (const StTensorInfo& t : file.tensors()) {
    if (const auto it = seen.find(t.name); it != seen.end()) {
      throw Error(path + ": tensor '" + t.name + "' is also in " + it->second->name());
    }
    entries_.push_back({&file, &t});
  }
}

uint64_t Checkpoint::total_bytes() const {
  uint64_t n = 0;
  for (const Entry& e : entries_) n += e.tensor->nbytes();
  return n;
}

bool is_quantizable_dtype(StDType d) { return d == StDType::F32 || d == StDType::F16 || d == StDType::BF16; }

std::span<const float> tensor_as_float(const SafetensorsReader& file, const StTensorInfo& t,
                                       std::vector<float>& buffer) {
  const std::span<const uint8_t> bytes = file.data(t);
  const size_t n = bytes.size() / st_dtype_size(t.dtype);
  switch (t.dtype) {
    case StDType::F32:
      if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(float) == 0) {
        return {reinterpret_cast<const float*>(bytes.data()), n};
      }
      buffer.resize(n);
      std::memcpy(buffer.data(), bytes.data(), n * sizeof(float));
      return buffer;
    case StDType::F16:
    case StDType::BF16: {
      buffer.resize(n);
      const bool half = t.dtype == StDType::F16;
      for (size_t i = 0; i < n; ++i) {
        const uint16_t b = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
        buffer[i] = half ? half_bits_to_float(b) : bfloat16_bits_to_float(b);
      }
      return buffer;
    }
    default:
      throw Error(file.name() + ": tensor '" + t.name + "' has dtype " + st_dtype_name(t.dtype) +
                  ", not a float type (F32, F16, BF16)");
  }
}

void float_to_dtype_bytes(std::span<const float> x, StDType dtype, std::vector<uint8_t>& out) {
  switch (dtype) {
    case StDType::F64:
      out.resize(x.size() * 8);
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = x[i];
        std::memcpy(out.data() + 8 * i, &d, 8);
      }
      return;
    case StDType::F32:
      out.resize(x.size() * 4);
      std::memcpy(out.data(), x.data(), out.size());
      return;
    case StDType::F16:
    case StDType::BF16: {
      out.resize(x.size() * 2);
      const bool half = dtype == StDType::F16;
      for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t b = half ? float_to_half_bits(x[i]) : float_to_bfloat16_bits(x[i]);
        out[2 * i] = static_cast<uint8_t>(b);
        out[2 * i + 1] = static_cast<uint8_t>(b >> 8);
      }
      return;
    }
    default:
      throw Error(std::string("cannot write float values as dtype ") + st_dtype_name(dtype));
  }
}

}  // namespace hifloat
