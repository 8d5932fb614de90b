// Scalar reference of the matmul semantics (docs/matmul.md §2): exact
// products of decoded values, summed by one of three rules. It reads like the
// document and defines what every fast kernel must return.
#include <cmath>
#include <limits>
#include <vector>

#include "core/exact_sum.h"
#include "core/matmul_operands.h"

namespace hifloat {

// HIF4.md §7: bytes 0..3 = little-endian metadata (E6M2 scale, b8 flags at bit
// 8+k, b4 flags at bit 16+j); byte 4+p holds element 2p (low nibble) and 2p+1.
// §3: x̂[i] = (−1)^s · (q/4) · 2^(b8[i>>3] + b4[i>>2]) · S; scale 0xFF = NaN unit.
void hif4_reference_decode_unit(const uint8_t* unit, float* out) {
  const uint32_t meta = unit[0] | (uint32_t{unit[1]} << 8) | (uint32_t{unit[2]} << 16) | (uint32_t{unit[3]} << 24);
  const uint32_t code = meta & 0xFF;
  if (code == 0xFF) {
    for (int i = 0; i < 64; ++i) out[i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  const int E = static_cast<int>(code >> 2) - 48;  // §3.1: E6M2, bias 48
  const double S = (1.0 + (code & 3) / 4.0) * std::ldexp(1.0, E);
  for (int i = 0; i < 64; ++i) {
    const uint32_t b8 = (meta >> (8 + (i >> 3))) & 1;
    const uint32_t b4 = (meta >> (16 + (i >> 2))) & 1;
    const uint8_t c = (unit[4 + i / 2] >> (4 * (i % 2))) & 0xF;
    const double q = c & 7;
    const double mag = q / 4.0 * std::ldexp(1.0, static_cast<int>(b8 + b4)) * S;
    out[i] = static_cast<float>((c & 8) ? -mag : mag);  // exact: ≤ 6 significant bits
  }
}

// §2.2 rule for dense × packed in fp32: 16 lanes, lane j an FMA chain over
// k ≡ j (mod 16) in increasing k from +0, then the halving tree.
static float lanes16_fma(const float* a, const float* w, int64_t k) {
  float s[16] = {};
  for (int64_t i = 0; i < k; ++i) s[i % 16] = std::fma(a[i], w[i], s[i % 16]);
  for (int width = 8; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) s[j] = s[j] + s[j + width];
  return s[0];
}

// §2.3: per block, the exact sum of the incoming accumulator and the block's
// products, truncated to fp32.
static float blocks_truncated(const float* a, const float* b, int64_t k, int64_t block) {
  float acc = 0.0f;
  for (int64_t start = 0; start < k; start += block) {
    ExactSum e;
    e.add(acc);
    for (int64_t i = start; i < std::min(k, start + block); ++i) e.add_product(a[i], b[i]);
    acc = e.round(RoundTo::kTowardZero);
  }
  return acc;
}

static float all_exact(const float* a, const float* b, int64_t k) {
  ExactSum e;
  for (int64_t i = 0; i < k; ++i) e.add_product(a[i], b[i]);
  return e.round(RoundTo::kNearestEven);
}

float reference_dot_dense(const float* a, const float* w, int64_t k, int64_t block, Accumulation acc) {
  switch (acc) {
    case Accumulation::kExact: return all_exact(a, w, k);
    case Accumulation::kFp32: return lanes16_fma(a, w, k);
    case Accumulation::kFp32Truncate: return blocks_truncated(a, w, k, block);
  }
  return 0;
}

// §2.2 rule for packed × packed in fp32: each block's exact sum rounded to
// fp32, then added in increasing k to an fp32 accumulator starting at +0.
float reference_dot_packed(const float* a, const float* b, int64_t k, int64_t block, Accumulation acc) {
  switch (acc) {
    case Accumulation::kExact: return all_exact(a, b, k);
    case Accumulation::kFp32: {
      float sum = 0.0f;
      for (int64_t start = 0; start < k; start += block) {
        ExactSum e;
        for (int64_t i = start; i < std::min(k, start + block); ++i) e.add_product(a[i], b[i]);
        sum = sum + e.round(RoundTo::kNearestEven);
      }
      return sum;
    }
    case Accumulation::kFp32Truncate: return blocks_truncated(a, b, k, block);
  }
  return 0;
}

void reference_matmul(const float* a, int64_t m, const PackedLines& b, Accumulation acc, float* c) {
  const int64_t k = b.k, n = b.rows;
  const int64_t block = accumulation_block(b.packed.format);
  std::vector<float> w(static_cast<size_t>(n * k));
  for (int64_t j = 0; j < n; ++j) b.decode_row(j, w.data() + j * k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = reference_dot_dense(a + i * k, w.data() + j * k, k, block, acc);
}

void reference_matmul(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c) {
  const int64_t k = b.k, m = a.rows, n = b.rows;
  const int64_t block = accumulation_block(b.packed.format);
  std::vector<float> av(static_cast<size_t>(m * k)), bv(static_cast<size_t>(n * k));
  for (int64_t i = 0; i < m; ++i) a.decode_row(i, av.data() + i * k);
  for (int64_t j = 0; j < n; ++j) b.decode_row(j, bv.data() + j * k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[i * n + j] = reference_dot_packed(av.data() + i * k, bv.data() + j * k, k, block, acc);
}

}  // namespace hifloat
