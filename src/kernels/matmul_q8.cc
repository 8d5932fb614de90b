// HiF4 weights × int8-quantised activations (docs/matmul.md §7), the integer
// dot-product form of ggml's Q4_0 × Q8_0: per unit, I = Σ q·w with w = ±q·2^sh
// computed on bytes, then the fp32 steps U = fp32(I)·fp32(d·S/4), acc += U.
//
// Lanes: one 256-bit vector holds a unit's 32 payload bytes; its low nibbles
// are the 32 even elements and its high nibbles the 32 odd ones, so the
// activations are stored per unit as |q| and q of the even elements, then of
// the odd ones. int16 lane t of a pmaddubsw result covers elements 4t..4t+3
// (even and odd halves added), one 4-group, so pmaddwd with 2^b4[t] applies
// the 4-group flags, and int32 lane l (one 8-group) is shifted left by b8[l]. Highway 1.0.3 has no u8×s8 multiply-add, so the body is
// raw x86 intrinsics inside Highway's AVX2 / AVX-512 target namespaces (which
// compile it with the right target attributes); other targets return false and
// the API uses the scalar reference.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hifloat/matmul.h"
#include "kernels/matmul_kernels.h"
#include "kernels/parallel_for.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_q8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#ifndef HIFLOAT_MATMUL_Q8_ONCE
#define HIFLOAT_MATMUL_Q8_ONCE
namespace hifloat::kernels {

constexpr int kCols = 8;  // output columns per panel (one fp32 vector)

// Quantised rows of A in the kernel's layout.
struct Q8Rows {
  const uint8_t* abs;   // [m][units][64]: |q| of elements 0,2,..,62 then 1,3,..,63
  const int8_t* sgn;    // same layout, signed q (only the sign is used)
  const float* d;       // [m][units]
  int64_t m, units;
};

struct Q8Weights {
  const uint8_t* data;  // N lines of `units` 36-byte HiF4 units
  int64_t n, units;
};

}  // namespace hifloat::kernels
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2

// One unit of one column against one activation block: 8 int32 partial sums
// of Σ q·w (their total is I_u).
HWY_INLINE __m256i UnitPartials(const uint8_t* unit, __m256i a_abs_lo, __m256i a_abs_hi, __m256i a_sgn_lo,
                                __m256i a_sgn_hi) {
  // Code c → ±(c & 7), the signed magnitude of HIF4.md §3.3 (before 2^sh).
  const __m256i table = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 0, -1, -2, -3, -4, -5, -6, -7,
                                         0, 1, 2, 3, 4, 5, 6, 7, 0, -1, -2, -3, -4, -5, -6, -7);
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(unit + 4));
  __m256i w_lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nib));
  __m256i w_hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
  w_lo = _mm256_sign_epi8(w_lo, a_sgn_lo);  // sign(q)·w, so |q|·that = q·w
  w_hi = _mm256_sign_epi8(w_hi, a_sgn_hi);
  // |pair| ≤ 2·127·7, even + odd ≤ 3556: no int16 saturation.
  const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(a_abs_lo, w_lo), _mm256_maddubs_epi16(a_abs_hi, w_hi));
  // int16 lane t gets 2^b4[t] (b4[t] = bit t%8 of metadata byte 2 + t/8);
  // int32 lane l = int16 lanes 2l, 2l+1 = one 8-group, shifted by b8[l].
  const __m256i pick = _mm256_setr_epi8(2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1,
                                        3, -1, 3, -1, 3, -1, 3, -1, 3, -1, 3, -1, 3, -1, 3, -1);
  const __m256i m4 = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
  uint32_t meta;
  std::memcpy(&meta, unit, 4);
  const __m256i meta_v = _mm256_set1_epi32(static_cast<int>(meta));
  const __m256i b4 = _mm256_and_si256(_mm256_shuffle_epi8(meta_v, pick), m4);
  const __m256i mult = _mm256_sub_epi16(_mm256_set1_epi16(1), _mm256_cmpeq_epi16(b4, m4));  // 2^b4
  const __m256i b8 = _mm256_and_si256(_mm256_srlv_epi32(meta_v, _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15)),
                                      _mm256_set1_epi32(1));
  return _mm256_sllv_epi32(_mm256_madd_epi16(pairs, mult), b8);
}

// Lane c of the result = sum of the 8 lanes of r[c] (exact integer adds).
HWY_INLINE __m256i ReduceColumns(const __m256i* r) {
  const __m256i h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(r[0], r[1]), _mm256_hadd_epi32(r[2], r[3]));
  const __m256i h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(r[4], r[5]), _mm256_hadd_epi32(r[6], r[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                          _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

// Outputs of row i for columns j0..j0+cols-1.
HWY_INLINE void Panel(const Q8Rows& a, const Q8Weights& w, int64_t i, int64_t j0, int cols, float* out) {
  const int64_t line_bytes = w.units * 36;
  const uint8_t* lines[kCols];
  alignas(32) int32_t offs[kCols];
  for (int c = 0; c < kCols; ++c) {
    const int64_t j = std::min<int64_t>(j0 + c, w.n - 1);  // tail columns repeat the last one
    lines[c] = w.data + j * line_bytes;
    offs[c] = static_cast<int32_t>((j - j0) * line_bytes);
  }
  const __m256i gather_offs = _mm256_load_si256(reinterpret_cast<const __m256i*>(offs));
  const uint8_t* base = w.data + j0 * line_bytes;
  const uint8_t* abs_row = a.abs + i * a.units * 64;
  const int8_t* sgn_row = a.sgn + i * a.units * 64;
  const float* d_row = a.d + i * a.units;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t u = 0; u < a.units; ++u) {
    const __m256i abs_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(abs_row + u * 64));
    const __m256i abs_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(abs_row + u * 64 + 32));
    const __m256i sgn_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sgn_row + u * 64));
    const __m256i sgn_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sgn_row + u * 64 + 32));
    __m256i r[kCols];
    for (int c = 0; c < kCols; ++c) r[c] = UnitPartials(lines[c] + u * 36, abs_lo, abs_hi, sgn_lo, sgn_hi);
    const __m256i integer = ReduceColumns(r);
    // S/4 from the E6M2 code (HIF4.md §3.1): bits (c << 21) + (77 << 23)
    // = 2^((c>>2) − 50) · (1 + (c&3)/4); code 0xFF (NaN unit) → NaN.
    const __m256i meta = _mm256_i32gather_epi32(reinterpret_cast<const int*>(base + u * 36), gather_offs, 1);
    const __m256i code = _mm256_and_si256(meta, _mm256_set1_epi32(0xFF));
    const __m256i s4_bits = _mm256_add_epi32(_mm256_slli_epi32(code, 21), _mm256_set1_epi32(77 << 23));
    const __m256i nan_unit = _mm256_cmpeq_epi32(code, _mm256_set1_epi32(0xFF));
    const __m256 s4 = _mm256_castsi256_ps(_mm256_blendv_epi8(s4_bits, _mm256_set1_epi32(0x7FC00000), nan_unit));
    const __m256 ds = _mm256_mul_ps(_mm256_set1_ps(d_row[u]), s4);
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(integer), ds));
  }
  alignas(32) float res[kCols];
  _mm256_store_ps(res, acc);
  std::copy_n(res, cols, out);
}

bool LinearQ8(const Q8Rows* a, const Q8Weights* w, float* c, int threads) {
  const int64_t panels = (w->n + kCols - 1) / kCols;
  parallel_for(panels, threads, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t j0 = p * kCols;
      const int cols = static_cast<int>(std::min<int64_t>(kCols, w->n - j0));
      for (int64_t i = 0; i < a->m; ++i) Panel(*a, *w, i, j0, cols, c + i * w->n + j0);
    }
  });
  return true;
}

#else
bool LinearQ8(const Q8Rows*, const Q8Weights*, float*, int) { return false; }
#endif

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(LinearQ8);

bool linear_q8_hif4(const float* a, int64_t m, const PackedLines& w, float* c, int threads) {
  if (w.block_len != 64 || w.record_bytes != 36 || w.header_bytes != 0) return false;
  const int64_t units = w.blocks_per_row, k = w.k;
  if (units * 36 * kCols > INT32_MAX) return false;  // gather offsets within a panel are int32
  std::vector<uint8_t> abs(static_cast<size_t>(m * units * 64));
  std::vector<int8_t> sgn(abs.size());
  std::vector<float> d(static_cast<size_t>(m * units));
  parallel_for(m, threads, 1, [&](int64_t i0, int64_t i1) {
    std::vector<int8_t> q(static_cast<size_t>(units * 64));
    for (int64_t i = i0; i < i1; ++i) {
      quantize_activations_q8(a + i * k, k, q.data(), d.data() + i * units);
      for (int64_t u = 0; u < units; ++u)
        for (int h = 0; h < 2; ++h)
          for (int p = 0; p < 32; ++p) {
            const int8_t v = q[static_cast<size_t>(u * 64 + 2 * p + h)];
            const size_t dst = static_cast<size_t>((i * units + u) * 64 + h * 32 + p);
            sgn[dst] = v;
            abs[dst] = static_cast<uint8_t>(v < 0 ? -v : v);
          }
    }
  });
  const Q8Rows rows{abs.data(), sgn.data(), d.data(), m, units};
  const Q8Weights wt{w.record(0, 0), w.rows, units};
  return HWY_DYNAMIC_DISPATCH(LinearQ8)(&rows, &wt, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
