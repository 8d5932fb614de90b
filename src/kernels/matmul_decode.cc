// Weight lines of a packed matmul operand decoded to fp32 for the dense
// kernels that work on decoded panels (matmul_dense.cc, matmul_dense_gemm.cc,
// matmul_dense_blocksum.cc). A run of lines along K is itself a packed tensor
// of shape (count, K) blocked along its last axis: the records of consecutive
// lines are consecutive bytes (docs/matmul.md §1), so the tensor decoders of
// fast_paths.h (SIMD, bit-identical to each format's Codec) decode it in one
// call. Only what they do not cover goes through the per-block Codec.
#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "kernels/fast_paths.h"
#include "kernels/matmul_kernels.h"

namespace hifloat::kernels {

void decode_lines_natural(const PackedLines& b, int64_t row, int64_t count, float* out, int64_t ld) {
  if (count <= 0 || b.k <= 0) return;
  const int64_t k = b.k;
  thread_local std::vector<uint8_t> bytes;
  thread_local std::vector<float> values;
  std::span<const uint8_t> in;
  const uint8_t* data = b.packed.data.data();
  if (b.elementwise && b.k_major) {
    // (K, rows) in C order: gather the lines' codes into (count, K).
    bytes.resize(static_cast<size_t>(count * k));
    for (int64_t kk = 0; kk < k; ++kk) {
      const uint8_t* src = data + b.header_bytes + kk * b.rows + row;
      for (int64_t r = 0; r < count; ++r) bytes[static_cast<size_t>(r * k + kk)] = src[r];
    }
    in = bytes;
  } else {
    const size_t line_bytes = b.elementwise ? static_cast<size_t>(k) : static_cast<size_t>(b.blocks_per_row) * b.record_bytes;
    const uint8_t* first = data + b.header_bytes + static_cast<size_t>(row) * line_bytes;
    const size_t n = static_cast<size_t>(count) * line_bytes;
    if (b.header_bytes == 0) {
      in = std::span<const uint8_t>(first, n);
    } else {  // the sub-tensor needs the header in front (e.g. NVFP4's tensor scale)
      bytes.resize(b.header_bytes + n);
      std::memcpy(bytes.data(), data, b.header_bytes);
      std::memcpy(bytes.data() + b.header_bytes, first, n);
      in = bytes;
    }
  }
  float* dst = out;
  if (ld != k) {
    values.resize(static_cast<size_t>(count * k));
    dst = values.data();
  }
  if (decode_fast(b.packed.format, in, Shape{count, k}, 1, dst, ExecOptions{})) {
    if (dst != out)
      for (int64_t r = 0; r < count; ++r) std::copy_n(dst + r * k, k, out + r * ld);
    return;
  }
  for (int64_t r = 0; r < count; ++r) b.decode_row(row + r, out + r * ld);
}

}  // namespace hifloat::kernels
