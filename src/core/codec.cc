#include "hifloat/codec.h"

#include <algorithm>
#include <cstring>

#include "hifloat/error.h"

namespace hifloat {

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("negative dimension " + std::to_string(d) + " in shape");
    n *= d;
  }
  return n;
}

int normalize_axis(const Shape& shape, int axis) {
  const int rank = shape.empty() ? 1 : static_cast<int>(shape.size());
  const int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw Error("axis " + std::to_string(axis) + " is out of range for a tensor of rank " + std::to_string(rank));
  }
  return a;
}

LineGeometry::LineGeometry(const Shape& shape, int axis) {
  if (shape.empty()) {  // 0-d: one line of one element
    lines = 1;
    length = 1;
    return;
  }
  const int a = normalize_axis(shape, axis);
  int64_t outer = 1;
  for (int i = 0; i < a; ++i) outer *= shape[i];
  for (size_t i = a + 1; i < shape.size(); ++i) inner *= shape[i];
  length = shape[a];
  lines = outer * inner;
}

namespace {

// Elementwise formats ignore the axis: the tensor is one line in C order.
LineGeometry geometry_for(const Codec& codec, const Shape& shape, int axis) {
  if (codec.block_size() == 1) {
    LineGeometry g(Shape{}, 0);
    g.length = num_elements(shape);
    return g;
  }
  return LineGeometry(shape, axis);
}

}  // namespace

int64_t Codec::block_len(const Shape& shape, int axis) const {
  const int64_t b = block_size();
  if (b != 0) return b;
  return LineGeometry(shape, axis).length;
}

size_t Codec::packed_bytes(const Shape& shape, int axis) const {
  num_elements(shape);  // validates the dimensions
  const LineGeometry g = geometry_for(*this, shape, axis);
  const int64_t B = block_size() == 0 ? g.length : block_size();
  const int64_t units = (B == 0 || g.length == 0) ? 0 : (g.length + B - 1) / B;
  return header_bytes() + static_cast<size_t>(g.lines * units) * record_bytes(B);
}

void Codec::quantize(const float* x, const Shape& shape, int axis, std::span<uint8_t> out) const {
  const size_t need = packed_bytes(shape, axis);
  if (out.size() != need) {
    throw Error("quantize: output buffer has " + std::to_string(out.size()) + " bytes, expected " +
                std::to_string(need));
  }
  const int64_t n = num_elements(shape);
  encode_header(std::span<const float>(x, static_cast<size_t>(n)), out.data());
  const LineGeometry g = geometry_for(*this, shape, axis);
  const int64_t B = block_size() == 0 ? g.length : block_size();
  if (B == 0 || g.length == 0) return;
  const int64_t units = (g.length + B - 1) / B;
  const size_t rec = record_bytes(B);
  uint8_t* dst = out.data() + header_bytes();
  std::vector<float> block(static_cast<size_t>(B));
  for (int64_t o = 0; o < g.lines; ++o) {
    const int64_t base = g.line_base(o);
    for (int64_t u = 0; u < units; ++u) {
      const int64_t start = u * B;
      const int64_t valid = std::min(B, g.length - start);
      for (int64_t i = 0; i < B; ++i) block[i] = i < valid ? x[base + (start + i) * g.inner] : 0.0f;
      BlockContext ctx;
      ctx.valid = valid;
      ctx.flat_base = static_cast<uint64_t>(base + start * g.inner);
      ctx.flat_stride = g.inner;
      ctx.header = out.data();
      encode_block(block, ctx, dst + static_cast<size_t>(o * units + u) * rec);
    }
  }
}

void Codec::dequantize(std::span<const uint8_t> in, const Shape& shape, int axis, float* out) const {
  const size_t need = packed_bytes(shape, axis);
  if (in.size() != need) {
    throw Error("packed data for format '" + spec().str() + "' has " + std::to_string(in.size()) +
                " bytes, expected " + std::to_string(need));
  }
  const LineGeometry g = geometry_for(*this, shape, axis);
  const int64_t B = block_size() == 0 ? g.length : block_size();
  if (B == 0 || g.length == 0) return;
  const int64_t units = (g.length + B - 1) / B;
  const size_t rec = record_bytes(B);
  const uint8_t* src = in.data() + header_bytes();
  std::vector<float> block(static_cast<size_t>(B));
  for (int64_t o = 0; o < g.lines; ++o) {
    const int64_t base = g.line_base(o);
    for (int64_t u = 0; u < units; ++u) {
      const int64_t start = u * B;
      const int64_t valid = std::min(B, g.length - start);
      decode_block(src + static_cast<size_t>(o * units + u) * rec, in.data(), block);
      for (int64_t i = 0; i < valid; ++i) out[base + (start + i) * g.inner] = block[i];
    }
  }
}

void Codec::fake_quant(const float* x, const Shape& shape, int axis, float* out) const {
  std::vector<uint8_t> packed(packed_bytes(shape, axis));
  quantize(x, shape, axis, packed);
  dequantize(packed, shape, axis, out);
}

double Packed::bits_per_value() const {
  const size_t n = num_elements();
  return n == 0 ? 0.0 : 8.0 * static_cast<double>(data.size()) / static_cast<double>(n);
}

}  // namespace hifloat
