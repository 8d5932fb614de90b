// A checkpoint: one or more safetensors files (shards), named directly or
// through a sharded checkpoint's index.json ({"weight_map": {tensor: file}}).
// Files are memory-mapped; tensors are visited one at a time so a tool's
// memory stays bounded by the largest tensor whatever the checkpoint's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hifloat/safetensors.h"

namespace hifloat {

class Checkpoint {
 public:
  struct Entry {
    const SafetensorsReader* file = nullptr;
    const StTensorInfo* tensor = nullptr;
  };

  // Each path is a .safetensors file or an index.json (shards resolved
  // relative to it). A tensor name found in two files is an error.
  explicit Checkpoint(const std::vector<std::string>& paths);

  const std::vector<std::unique_ptr<SafetensorsReader>>& files() const { return files_; }
  // Every tensor, file by file in data order.
  const std::vector<Entry>& entries() const { return entries_; }
  uint64_t total_bytes() const;

 private:
  void add_file(const std::string& path);

  std::vector<std::unique_ptr<SafetensorsReader>> files_;
  std::vector<Entry> entries_;
};

// The shard files an index.json names, in order of first mention, as paths
// relative to the index's directory. Throws Error naming the file.
std::vector<std::string> read_checkpoint_index(const std::string& index_path);

// True for the dtypes the checkpoint tools quantise: F32, F16, BF16.
bool is_quantizable_dtype(StDType d);

// The tensor's values as float32 (F32, F16 or BF16). F32 data that is
// suitably aligned in the mapping is returned in place (no copy); otherwise
// the values are converted into `buffer`.
std::span<const float> tensor_as_float(const SafetensorsReader& file, const StTensorInfo& t,
                                       std::vector<float>& buffer);

// Float32 values as bytes of dtype F64, F32, F16 or BF16 (round to nearest even).
void float_to_dtype_bytes(std::span<const float> x, StDType dtype, std::vector<uint8_t>& out);

}  // namespace hifloat
