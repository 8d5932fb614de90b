#include "hifloat/npy.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string_view>

#include "hifloat/error.h"
#include "hifloat/ieee16.h"

namespace hifloat {

const char* dtype_name(DType d) {
  switch (d) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kFloat16: return "float16";
    case DType::kUInt8: return "uint8";
  }
  return "?";
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kFloat16: return 2;
    case DType::kUInt8: return 1;
  }
  return 0;
}

namespace {

const char* descr_of(DType d) {
  switch (d) {
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kFloat16: return "<f2";
    case DType::kUInt8: return "|u1";
  }
  return "";
}

// A strict parser for the header dictionary numpy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  void parse(std::string& descr, bool& fortran, Shape& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_ws();
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = parse_bool();
        have_fortran = true;
      } else if (key == "shape") {
        shape = parse_shape();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "' in header (expected descr, fortran_order, shape)");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip_ws();
      expect('}');
      break;
    }
    if (!have_descr || !have_fortran || !have_shape) {
      fail("header lacks one of the keys 'descr', 'fortran_order', 'shape'");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(name_ + ": malformed .npy header at byte " + std::to_string(i_) + ": " + what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    ++i_;
    const size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.substr(i_, 4) == "True") {
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "False") {
      i_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  Shape parse_shape() {
    Shape shape;
    expect('(');
    while (true) {
      skip_ws();
      if (peek() == ')') {
        ++i_;
        return shape;
      }
      if (peek() < '0' || peek() > '9') fail("expected a non-negative integer dimension");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) fail("dimension too large");
        v = v * 10 + (peek() - '0');
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 longs
      shape.push_back(v);
      skip_ws();
      if (peek() == ',') {
        ++i_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
  }

  std::string_view s_;
  const std::string& name_;
  size_t i_ = 0;
};

uint32_t read_le(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Fortran-order data is the C-order layout of the reversed shape.
std::vector<uint8_t> fortran_to_c(const std::vector<uint8_t>& src, const Shape& shape, size_t elem) {
  const size_t rank = shape.size();
  const size_t n = static_cast<size_t>(num_elements(shape));
  std::vector<uint8_t> dst(src.size());
  std::vector<int64_t> idx(rank, 0);
  std::vector<int64_t> fstride(rank, 1);  // Fortran strides: first index fastest
  for (size_t d = 1; d < rank; ++d) fstride[d] = fstride[d - 1] * shape[d - 1];
  for (size_t c = 0; c < n; ++c) {
    int64_t f = 0;
    for (size_t d = 0; d < rank; ++d) f += idx[d] * fstride[d];
    std::memcpy(&dst[c * elem], &src[static_cast<size_t>(f) * elem], elem);
    for (size_t d = rank; d-- > 0;) {  // advance the C-order index
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return dst;
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw Error(path + ": read error");
  return bytes;
}

NpyArray parse_npy(const uint8_t* bytes, size_t size, const std::string& name) {
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0) {
    throw Error(name + ": not a .npy file (missing the \\x93NUMPY magic)");
  }
  const int major = bytes[6];
  if (major < 1 || major > 3) throw Error(name + ": unsupported .npy format version " + std::to_string(major));
  const int len_bytes = major == 1 ? 2 : 4;
  const size_t prefix = 8 + static_cast<size_t>(len_bytes);
  if (size < prefix) throw Error(name + ": truncated .npy header");
  const size_t header_len = read_le(bytes + 8, len_bytes);
  if (header_len > size - prefix) {
    throw Error(name + ": .npy header length " + std::to_string(header_len) + " runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  }
  std::string_view header(reinterpret_cast<const char*>(bytes + prefix), header_len);
  while (!header.empty() && (header.back() == '\n' || header.back() == ' ' || header.back() == '\0')) {
    header.remove_suffix(1);
  }
  std::string descr;
  bool fortran = false;
  NpyArray a;
  HeaderParser(header, name).parse(descr, fortran, a.shape);
  if (descr == "<f4") a.dtype = DType::kFloat32;
  else if (descr == "<f8") a.dtype = DType::kFloat64;
  else if (descr == "<f2") a.dtype = DType::kFloat16;
  else if (descr == "|u1" || descr == "<u1" || descr == "u1") a.dtype = DType::kUInt8;
  else if (descr.size() > 1 && descr[0] == '>') {
    throw Error(name + ": big-endian dtype '" + descr + "' is not supported (expected <f4, <f8, <f2 or |u1)");
  } else {
    throw Error(name + ": unsupported dtype '" + descr + "' (expected <f4, <f8, <f2 or |u1)");
  }
  const size_t elem = dtype_size(a.dtype);
  size_t n = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && n > std::numeric_limits<size_t>::max() / elem / static_cast<size_t>(d)) {
      throw Error(name + ": shape is too large");
    }
    n *= static_cast<size_t>(d);
  }
  const size_t data_bytes = n * elem;
  const size_t have = size - prefix - header_len;
  if (have < data_bytes) {
    throw Error(name + ": truncated data: header promises " + std::to_string(data_bytes) + " bytes of " +
                descr + " but the file holds " + std::to_string(have));
  }
  if (have > data_bytes) {
    throw Error(name + ": " + std::to_string(have - data_bytes) + " unexpected bytes after the array data");
  }
  a.data.assign(bytes + prefix + header_len, bytes + size);
  if (fortran && a.shape.size() > 1) a.data = fortran_to_c(a.data, a.shape, elem);
  return a;
}

NpyArray read_npy(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::vector<float> to_float32(const NpyArray& a) {
  const size_t n = a.num_elements();
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = a.data.data() + i * dtype_size(a.dtype);
    switch (a.dtype) {
      case DType::kFloat32: std::memcpy(&out[i], p, 4); break;
      case DType::kFloat64: {
        double d;
        std::memcpy(&d, p, 8);
        out[i] = static_cast<float>(d);
        break;
      }
      case DType::kFloat16: {
        uint16_t h;
        std::memcpy(&h, p, 2);
        out[i] = half_bits_to_float(h);
        break;
      }
      case DType::kUInt8: out[i] = static_cast<float>(*p); break;
    }
  }
  return out;
}

std::vector<double> to_float64(const NpyArray& a) {
  if (a.dtype == DType::kFloat64) {
    std::vector<double> out(a.num_elements());
    std::memcpy(out.data(), a.data.data(), a.data.size());
    return out;
  }
  const std::vector<float> f = to_float32(a);
  return std::vector<double>(f.begin(), f.end());
}

std::vector<uint8_t> serialize_npy(DType dtype, const Shape& shape, const void* data) {
  std::string header = "{'descr': '" + std::string(descr_of(dtype)) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) header += ",";
    if (i + 1 < shape.size()) header += " ";
  }
  header += "), }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const size_t nbytes = static_cast<size_t>(num_elements(shape)) * dtype_size(dtype);
  // One allocation and memcpy: GCC 12 warns falsely on vector::insert here.
  std::vector<uint8_t> out(10 + header.size() + nbytes);
  const uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::memcpy(out.data(), magic, 8);
  out[8] = static_cast<uint8_t>(header.size() & 0xFF);
  out[9] = static_cast<uint8_t>(header.size() >> 8);
  std::memcpy(out.data() + 10, header.data(), header.size());
  if (nbytes) std::memcpy(out.data() + 10 + header.size(), data, nbytes);
  return out;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(path + ": cannot create (" + std::strerror(errno) + ")");
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    std::remove(tmp.c_str());
    throw Error(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename temporary file into place (" + std::strerror(errno) + ")");
  }
}

void write_npy(const std::string& path, DType dtype, const Shape& shape, const void* data) {
  write_file_atomic(path, serialize_npy(dtype, shape, data));
}

}  // namespace hifloat
