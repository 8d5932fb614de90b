// safetensors files: a strict, memory-mapped reader and a streaming writer.
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, ...,
// "__metadata__": {string: string}}, then the data section. Offsets are
// relative to the data section; the tensors must cover it exactly, without
// overlaps or holes (as the reference implementation requires).
//
// The reader validates the whole header when it opens a file and hands out
// spans over the mapped bytes (no copies), so a tool can process one tensor at
// a time with bounded memory. The writer streams tensors one at a time into a
// temporary file next to the destination and renames it into place on commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hifloat/codec.h"

namespace hifloat {

// The element types of safetensors files.
enum class StDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, U16, U32, U64, F8_E4M3, F8_E5M2 };

const char* st_dtype_name(StDType d);  // "F32", ...
size_t st_dtype_size(StDType d);       // bytes per element
std::optional<StDType> parse_st_dtype(std::string_view name);

// Where a tensor lives; offsets are relative to the start of the data section.
struct StTensorInfo {
  std::string name;
  StDType dtype = StDType::U8;
  Shape shape;
  uint64_t begin = 0;
  uint64_t end = 0;

  uint64_t nbytes() const { return end - begin; }
};

class SafetensorsReader {
 public:
  // Largest header accepted (the reference implementation's limit).
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

  // Maps `path` read-only and validates its header. Throws Error naming the
  // file, the tensor and what was expected. (As with any mapping, the file
  // must not be truncated by another process while the reader lives.)
  explicit SafetensorsReader(const std::string& path);
  // Reads a file image held in memory (not copied: `bytes` must outlive the
  // reader). `name` is used in error messages.
  SafetensorsReader(std::span<const uint8_t> bytes, std::string name);
  ~SafetensorsReader();
  SafetensorsReader(SafetensorsReader&& other) noexcept;
  SafetensorsReader& operator=(SafetensorsReader&& other) noexcept;
  SafetensorsReader(const SafetensorsReader&) = delete;
  SafetensorsReader& operator=(const SafetensorsReader&) = delete;

  const std::string& name() const { return name_; }
  // Tensors in data order (ascending offsets).
  const std::vector<StTensorInfo>& tensors() const { return tensors_; }
  // nullptr when the file has no such tensor.
  const StTensorInfo* find(std::string_view tensor) const;
  // Throws Error when the file has no such tensor.
  const StTensorInfo& tensor(std::string_view tensor) const;
  // The tensor's bytes in the mapped file (valid while the reader lives).
  std::span<const uint8_t> data(const StTensorInfo& t) const;
  std::span<const uint8_t> data(std::string_view tensor) const { return data(this->tensor(tensor)); }
  // Hints that the tensor's mapped pages are no longer needed, so a tool that
  // walks a large file one tensor at a time keeps its resident set bounded
  // (the pages are read again from the file if touched later). No-op for
  // readers over caller-owned memory.
  void release(const StTensorInfo& t) const;
  // The `__metadata__` entries (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  void parse();
  void unmap() noexcept;

  std::string name_;
  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // non-null when we own an mmap of `size_` bytes
  size_t data_start_ = 0;
  std::vector<StTensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// What a file will hold, declared before any data is written.
struct StTensorDecl {
  std::string name;
  StDType dtype = StDType::F32;
  Shape shape;
};

struct SafetensorsLayout {
  std::vector<StTensorDecl> tensors;  // data is written in this order
  std::map<std::string, std::string> metadata;

  void add(std::string name, StDType dtype, Shape shape);
};

// Streams tensors into `path`: the header is written first (the layout is
// known up front), then each tensor's bytes in declaration order, in one or
// more pieces. Nothing appears at `path` until commit() succeeds; destroying
// an uncommitted writer removes its temporary file.
class SafetensorsWriter {
 public:
  SafetensorsWriter(std::string path, SafetensorsLayout layout);
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // Writes the whole next tensor; `name` must be the next declared one.
  void write_tensor(std::string_view name, std::span<const uint8_t> bytes);
  // Appends a piece of the current tensor (moving on to the next tensor once
  // the current one is complete).
  void write(std::span<const uint8_t> bytes);
  // Checks every tensor was written in full, flushes, and renames into place.
  void commit();

  // Name of the tensor the next bytes belong to (empty when all are written).
  std::string_view current_tensor() const;
  // The temporary file the data goes to until commit() (for cleanup on signals).
  const std::string& temp_path() const { return tmp_path_; }

 private:
  void write_raw(const void* data, size_t n);
  void abandon() noexcept;

  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  SafetensorsLayout layout_;
  std::vector<uint64_t> sizes_;  // bytes of each declared tensor
  size_t current_ = 0;           // index of the tensor being written
  uint64_t written_in_current_ = 0;
  bool committed_ = false;
};

}  // namespace hifloat
