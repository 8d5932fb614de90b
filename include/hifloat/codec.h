// Quantise, pack, unpack and fake-quantise tensors in any registered format.
//
// A Codec is the plain scalar reference of one format: it reads like the spec
// and defines the results. It works block by block; the tensor drivers here
// form the blocks along the chosen axis (spec/README.md "Blocking axis"): each
// line along the axis is zero-padded to whole blocks, records are stored in the
// order of the lines in C order of the other indices, and decoding crops back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hifloat/exec.h"
#include "hifloat/format.h"

namespace hifloat {

using Shape = std::vector<int64_t>;

int64_t num_elements(const Shape& shape);
// Resolves a possibly negative axis against `shape` (a 0-d tensor counts as
// shape (1,)); throws Error naming the axis and the rank when out of range.
int normalize_axis(const Shape& shape, int axis);

// The tensor seen as P lines of length L along the blocking axis.
struct LineGeometry {
  int64_t lines = 0;   // P: product of the other dimensions
  int64_t length = 0;  // L: size of the blocking axis
  int64_t inner = 1;   // product of the dimensions after the axis (element stride along it)

  LineGeometry(const Shape& shape, int axis);
  // Flat C-order offset of element 0 of line `o`.
  int64_t line_base(int64_t o) const { return (o / inner) * length * inner + o % inner; }
};

// Where the elements of one block came from.
struct BlockContext {
  int64_t valid = 0;          // elements of the block that are real (the rest is zero padding)
  uint64_t flat_base = 0;     // flat C-order index of element 0 in the logical tensor
  int64_t flat_stride = 1;    // flat index step between consecutive block elements
  const uint8_t* header = nullptr;  // the packed tensor's header (formats with one)

  uint64_t flat_index(int64_t i) const { return flat_base + static_cast<uint64_t>(i * flat_stride); }
};

class Codec {
 public:
  explicit Codec(FormatSpec spec) : spec_(std::move(spec)) {}
  virtual ~Codec() = default;
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  const FormatSpec& spec() const { return spec_; }

  // Elements per block along the axis: 1 for elementwise formats (which ignore
  // the axis and store C order), 0 when a block is a whole line (int8).
  virtual int64_t block_size() const = 0;
  // Bytes of a packed record holding one block of `block_len` elements.
  virtual size_t record_bytes(int64_t block_len) const = 0;
  // Bytes before the first record (a per-tensor scale, say).
  virtual size_t header_bytes() const { return 0; }

  // Tensor-wide pass before the blocks are encoded (e.g. NVFP4's tensor scale).
  virtual void encode_header(std::span<const float> /*x*/, uint8_t* /*header*/) const {}
  // `x` holds the block, zero-padded to its full length.
  virtual void encode_block(std::span<const float> x, const BlockContext& ctx, uint8_t* record) const = 0;
  // Writes the full (padded) block; the driver crops it.
  virtual void decode_block(const uint8_t* record, const uint8_t* header, std::span<float> out) const = 0;

  // Layout of a tensor in this format.
  int64_t block_len(const Shape& shape, int axis) const;
  size_t packed_bytes(const Shape& shape, int axis) const;

  // Tensor drivers (scalar reference).
  void quantize(const float* x, const Shape& shape, int axis, std::span<uint8_t> out) const;
  void dequantize(std::span<const uint8_t> in, const Shape& shape, int axis, float* out) const;
  void fake_quant(const float* x, const Shape& shape, int axis, float* out) const;

 private:
  FormatSpec spec_;
};

// The scalar reference codec of a format.
std::unique_ptr<Codec> make_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_codec(std::string_view format);

// A packed tensor: its bytes and what is needed to read them back.
struct Packed {
  FormatSpec format;
  Shape shape;
  int axis = -1;  // normalised, in [0, rank)
  std::vector<uint8_t> data;

  size_t num_elements() const { return static_cast<size_t>(hifloat::num_elements(shape)); }
  double bits_per_value() const;
};

Packed encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, const ExecOptions& exec = {});
void decode(const Packed& packed, float* out, const ExecOptions& exec = {});
void fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                const ExecOptions& exec = {});

}  // namespace hifloat
