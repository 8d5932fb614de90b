#include "hifloat/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "hifloat/error.h"
#include "io/checked_size.h"
#include "io/strict_json.h"

namespace hifloat {

namespace {

struct DTypeInfo {
  StDType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {StDType::F64, "F64", 8},         {StDType::F32, "F32", 4},         {StDType::F16, "F16", 2},
    {StDType::BF16, "BF16", 2},       {StDType::I64, "I64", 8},         {StDType::I32, "I32", 4},
    {StDType::I16, "I16", 2},         {StDType::I8, "I8", 1},           {StDType::U8, "U8", 1},
    {StDType::BOOL, "BOOL", 1},       {StDType::U16, "U16", 2},         {StDType::U32, "U32", 4},
    {StDType::U64, "U64", 8},         {StDType::F8_E4M3, "F8_E4M3", 1}, {StDType::F8_E5M2, "F8_E5M2", 1},
};

const DTypeInfo& info_of(StDType d) {
  for (const DTypeInfo& i : kDTypes) {
    if (i.dtype == d) return i;
  }
  return kDTypes[0];  // unreachable: every enumerator is listed
}

std::string known_dtypes() {
  std::string out;
  for (const DTypeInfo& i : kDTypes) {
    if (!out.empty()) out += ", ";
    out += i.name;
  }
  return out;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

using json = nlohmann::json;

}  // namespace

const char* st_dtype_name(StDType d) { return info_of(d).name; }
size_t st_dtype_size(StDType d) { return info_of(d).size; }

std::optional<StDType> parse_st_dtype(std::string_view name) {
  for (const DTypeInfo& i : kDTypes) {
    if (name == i.name) return i.dtype;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- reader

SafetensorsReader::SafetensorsReader(const std::string& path) : name_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error(path + ": cannot map into memory (" + std::strerror(err) + ")");
    }
    mapping_ = m;
    bytes_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  try {
    parse();
  } catch (...) {
    unmap();
    throw;
  }
}

SafetensorsReader::SafetensorsReader(std::span<const uint8_t> bytes, std::string name)
    : name_(std::move(name)), bytes_(bytes.data()), size_(bytes.size()) {
  parse();
}

SafetensorsReader::~SafetensorsReader() { unmap(); }

SafetensorsReader::SafetensorsReader(SafetensorsReader&& o) noexcept
    : name_(std::move(o.name_)),
      bytes_(std::exchange(o.bytes_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      mapping_(std::exchange(o.mapping_, nullptr)),
      data_start_(o.data_start_),
      tensors_(std::move(o.tensors_)),
      metadata_(std::move(o.metadata_)) {}

SafetensorsReader& SafetensorsReader::operator=(SafetensorsReader&& o) noexcept {
  if (this != &o) {
    unmap();
    name_ = std::move(o.name_);
    bytes_ = std::exchange(o.bytes_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapping_ = std::exchange(o.mapping_, nullptr);
    data_start_ = o.data_start_;
    tensors_ = std::move(o.tensors_);
    metadata_ = std::move(o.metadata_);
  }
  return *this;
}

void SafetensorsReader::unmap() noexcept {
  if (mapping_) ::munmap(mapping_, size_);
  mapping_ = nullptr;
  bytes_ = nullptr;
}

void SafetensorsReader::parse() {
  const std::string& f = name_;
  if (size_ < 8) {
    throw Error(f + ": file is " + std::to_string(size_) +
                " bytes, too short for the 8-byte header length of a safetensors file");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes_[i];
  if (n > kMaxHeaderBytes) {
    throw Error(f + ": header length " + std::to_string(n) + " exceeds the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes (not a safetensors file?)");
  }
  if (n > size_ - 8) {
    throw Error(f + ": header length " + std::to_string(n) + " runs past the end of the file (" +
                std::to_string(size_) + " bytes; truncated header?)");
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes_ + 8), static_cast<size_t>(n));
  if (text.empty() || text[0] != '{') throw Error(f + ": header must be a JSON object starting with '{'");
  const json header = io::parse_strict_json(text, f + ": header");
  if (!header.is_object()) throw Error(f + ": header must be a JSON object");
  data_start_ = 8 + static_cast<size_t>(n);
  const uint64_t data_size = size_ - data_start_;

  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (value.is_null()) continue;
      if (!value.is_object()) throw Error(f + ": __metadata__ must be an object of string to string");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          throw Error(f + ": __metadata__ entry '" + mk + "' must be a string, not " + mv.type_name());
        }
        metadata_[mk] = mv.get<std::string>();
      }
      continue;
    }
    const std::string where = f + ": tensor '" + key + "': ";
    if (!value.is_object()) throw Error(where + "entry must be an object {dtype, shape, data_offsets}");
    for (const auto& [k, v] : value.items()) {
      if (k != "dtype" && k != "shape" && k != "data_offsets") {
        throw Error(where + "unexpected key '" + k + "' (expected dtype, shape, data_offsets)");
      }
    }
    StTensorInfo t;
    t.name = key;

    const auto dt = value.find("dtype");
    if (dt == value.end() || !dt->is_string()) throw Error(where + "missing or non-string 'dtype'");
    const auto parsed = parse_st_dtype(dt->get_ref<const std::string&>());
    if (!parsed) {
      throw Error(where + "unknown dtype '" + dt->get<std::string>() + "' (expected one of " + known_dtypes() + ")");
    }
    t.dtype = *parsed;

    const auto sh = value.find("shape");
    if (sh == value.end() || !sh->is_array()) throw Error(where + "missing 'shape' (expected an array of integers)");
    for (const json& d : *sh) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw Error(where + "shape entry " + d.dump() + " is not a non-negative integer");
      }
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    const auto expected = io::checked_nbytes(t.shape, st_dtype_size(t.dtype));
    if (!expected) throw Error(where + "shape " + shape_str(t.shape) + " is too large (its size overflows)");

    const auto off = value.find("data_offsets");
    if (off == value.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      throw Error(where + "'data_offsets' must be [begin, end] with non-negative integers");
    }
    t.begin = (*off)[0].get<uint64_t>();
    t.end = (*off)[1].get<uint64_t>();
    if (t.begin > t.end) {
      throw Error(where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                  "] has begin > end");
    }
    if (t.end > data_size) {
      throw Error(where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                  "] run past the end of the data section (" + std::to_string(data_size) +
                  " bytes; truncated file?)");
    }
    if (t.nbytes() != *expected) {
      throw Error(where + "data_offsets span " + std::to_string(t.nbytes()) + " bytes but " + st_dtype_name(t.dtype) +
                  " " + shape_str(t.shape) + " needs " + std::to_string(*expected));
    }
    tensors_.push_back(std::move(t));
  }

  // The tensors must tile the data section exactly: no overlaps, no holes,
  // nothing after the last tensor (as the reference implementation checks).
  std::sort(tensors_.begin(), tensors_.end(), [](const StTensorInfo& a, const StTensorInfo& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t covered = 0;
  const StTensorInfo* prev = nullptr;
  for (const StTensorInfo& t : tensors_) {
    if (t.begin < covered) {
      throw Error(f + ": tensor '" + t.name + "': data_offsets [" + std::to_string(t.begin) + ", " +
                  std::to_string(t.end) + "] overlap tensor '" + prev->name + "' [" + std::to_string(prev->begin) +
                  ", " + std::to_string(prev->end) + "]");
    }
    if (t.begin > covered) {
      throw Error(f + ": tensor '" + t.name + "': data starts at offset " + std::to_string(t.begin) +
                  " leaving a hole after offset " + std::to_string(covered) + " (tensors must be contiguous)");
    }
    covered = t.end;
    prev = &t;
  }
  if (covered != data_size) {
    throw Error(f + ": data section has " + std::to_string(data_size) + " bytes but the tensors cover only " +
                std::to_string(covered) + " (trailing bytes)");
  }
}

const StTensorInfo* SafetensorsReader::find(std::string_view tensor) const {
  for (const StTensorInfo& t : tensors_) {
    if (t.name == tensor) return &t;
  }
  return nullptr;
}

const StTensorInfo& SafetensorsReader::tensor(std::string_view tensor) const {
  const StTensorInfo* t = find(tensor);
  if (!t) throw Error(name_ + ": no tensor named '" + std::string(tensor) + "'");
  return *t;
}

std::span<const uint8_t> SafetensorsReader::data(const StTensorInfo& t) const {
  return {bytes_ + data_start_ + t.begin, static_cast<size_t>(t.nbytes())};
}

void SafetensorsReader::release(const StTensorInfo& t) const {
  if (!mapping_ || t.nbytes() == 0) return;
  // Whole pages inside the mapping that hold the tensor; dropping a page a
  // neighbour shares is harmless (a read-only file mapping refaults it).
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t base = reinterpret_cast<uintptr_t>(mapping_);
  const uintptr_t lo = (base + data_start_ + t.begin) & ~(page - 1);
  const uintptr_t hi = base + data_start_ + t.end;
  ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

// ---------------------------------------------------------------- writer

void SafetensorsLayout::add(std::string name, StDType dtype, Shape shape) {
  tensors.push_back({std::move(name), dtype, std::move(shape)});
}

SafetensorsWriter::SafetensorsWriter(std::string path, SafetensorsLayout layout)
    : path_(std::move(path)), layout_(std::move(layout)) {
  using ojson = nlohmann::ordered_json;
  ojson header = ojson::object();
  if (!layout_.metadata.empty()) {
    ojson meta = ojson::object();
    for (const auto& [k, v] : layout_.metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const StTensorDecl& t : layout_.tensors) {
    const std::string where = path_ + ": tensor '" + t.name + "': ";
    if (t.name == "__metadata__") throw Error(where + "the name __metadata__ is reserved");
    if (header.contains(t.name)) throw Error(where + "declared twice");
    const auto nbytes = io::checked_nbytes(t.shape, st_dtype_size(t.dtype));
    if (!nbytes) throw Error(where + "shape " + shape_str(t.shape) + " is negative or too large");
    sizes_.push_back(*nbytes);
    header[t.name] = {{"dtype", st_dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + *nbytes}}};
    offset += *nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data section 8-byte aligned
  if (text.size() > SafetensorsReader::kMaxHeaderBytes) throw Error(path_ + ": header would be too large");

  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; fd_ < 0; ++attempt) {
    tmp_path_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && (errno != EEXIST || attempt > 100)) {
      throw Error(path_ + ": cannot create temporary file (" + std::strerror(errno) + ")");
    }
  }
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  write_raw(len, 8);
  write_raw(text.data(), text.size());
}

SafetensorsWriter::~SafetensorsWriter() {
  if (!committed_) abandon();
}

void SafetensorsWriter::abandon() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_path_.c_str());
  }
}

void SafetensorsWriter::write_raw(const void* data, size_t n) {
  if (fd_ < 0) throw Error(path_ + ": writer is closed (an earlier write failed or it was committed)");
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const std::string why = w < 0 ? std::strerror(errno) : "no progress";
      abandon();
      throw Error(path_ + ": write failed (" + why + ")");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::string_view SafetensorsWriter::current_tensor() const {
  return current_ < layout_.tensors.size() ? std::string_view(layout_.tensors[current_].name) : std::string_view();
}

void SafetensorsWriter::write_tensor(std::string_view name, std::span<const uint8_t> bytes) {
  // Empty tensors need no bytes: pass over any that precede `name`.
  while (written_in_current_ == 0 && current_ < sizes_.size() && sizes_[current_] == 0 &&
         layout_.tensors[current_].name != name) {
    ++current_;
  }
  if (current_ >= sizes_.size()) {
    throw Error(path_ + ": tensor '" + std::string(name) + "' written after every declared tensor");
  }
  const StTensorDecl& t = layout_.tensors[current_];
  if (t.name != name || written_in_current_ != 0) {
    throw Error(path_ + ": tensor '" + std::string(name) + "' written out of order; expected '" + t.name + "' next" +
                (written_in_current_ ? " (partly written)" : ""));
  }
  if (bytes.size() != sizes_[current_]) {
    throw Error(path_ + ": tensor '" + t.name + "' was declared as " + std::to_string(sizes_[current_]) +
                " bytes but " + std::to_string(bytes.size()) + " were given");
  }
  write_raw(bytes.data(), bytes.size());
  ++current_;
}

void SafetensorsWriter::write(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  while (written_in_current_ == 0 && current_ < sizes_.size() && sizes_[current_] == 0) ++current_;
  if (current_ >= sizes_.size()) {
    throw Error(path_ + ": " + std::to_string(bytes.size()) + " bytes written after every declared tensor");
  }
  const uint64_t left = sizes_[current_] - written_in_current_;
  if (bytes.size() > left) {
    throw Error(path_ + ": piece of " + std::to_string(bytes.size()) + " bytes is longer than the " +
                std::to_string(left) + " bytes left of tensor '" + layout_.tensors[current_].name + "'");
  }
  write_raw(bytes.data(), bytes.size());
  written_in_current_ += bytes.size();
  if (written_in_current_ == sizes_[current_]) {
    ++current_;
    written_in_current_ = 0;
  }
}

void SafetensorsWriter::commit() {
  while (written_in_current_ == 0 && current_ < sizes_.size() && sizes_[current_] == 0) ++current_;
  if (current_ < sizes_.size()) {
    throw Error(path_ + ": cannot commit: tensor '" + layout_.tensors[current_].name + "' has " +
                std::to_string(written_in_current_) + " of its " + std::to_string(sizes_[current_]) +
                " bytes written");
  }
  if (fd_ < 0) throw Error(path_ + ": writer is closed (an earlier write failed or it was committed)");
  std::string why;
  if (::fsync(fd_) != 0) why = std::strerror(errno);
  if (::close(fd_) != 0 && why.empty()) why = std::strerror(errno);
  fd_ = -1;
  if (!why.empty()) {
    ::unlink(tmp_path_.c_str());
    throw Error(path_ + ": cannot flush the temporary file (" + why + ")");
  }
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp_path_.c_str());
    throw Error(path_ + ": cannot rename the temporary file into place (" + err + ")");
  }
  committed_ = true;
}

}  // namespace hifloat
