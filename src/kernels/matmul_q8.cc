// HiF4 weights × int8-quantised activations (docs/matmul.md §7), the integer
// dot-product form of ggml's Q4_0 × Q8_0: per unit, I = Σ q·w with w = ±q·2^sh
// computed on bytes, then the fp32 steps U = fp32(I)·fp32(d·S/4), acc += U.
//
// Lanes: one 256-bit vector holds a unit's 32 payload bytes; its low nibbles
// are the 32 even elements and its high nibbles the 32 odd ones, so the
// activations are stored per unit as q of the even elements, then of the odd
// ones. A nibble becomes ±q + 8 ∈ [1, 15] (vpshufb), the unsigned operand of
// vpmaddubsw; int16 lane t of the even + odd products covers elements
// 4t..4t+3 (one 4-group) and holds Σ (w+8)·q, so subtracting 8·Σq of the
// 4-group (precomputed per activation row) leaves Σ w·q exactly. vpmaddwd
// with 2^(b4[t] + b8[t/2]) then applies the shifts: int32 lane l is one
// 8-group. Everything that depends only on the weights (the vpshufb'd bytes,
// the multipliers, the scales) is computed once per unit and column and used
// for a register tile of up to kRows activation rows.
//
// Highway 1.0.3 has no u8×s8 multiply-add, so the body is raw x86 intrinsics
// inside Highway's AVX2 / AVX-512 target namespaces (which compile it with
// the right target attributes); other targets return false and the API uses
// the scalar reference.
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
// Activation rows per register tile: each decoded weight unit serves this many
// rows (6 measured ~7% faster than 4 at M ≥ 16 on AVX2 and AVX-512, Zen 4).
constexpr int kRows = 6;
constexpr int kWeightBias = 8;  // ±q + 8 ∈ [1, 15] is vpmaddubsw's unsigned operand

// Quantised rows of A in the kernel's layout.
struct Q8Rows {
  const int8_t* q;       // [m][units][64]: q of elements 0,2,..,62 then 1,3,..,63
  const int16_t* bias;   // [m][units][16]: 8·(q[4t] + … + q[4t+3]), the weight bias times 4-group t's sum
  const float* d;        // [m][units]
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

// One unit of one weight column, decoded once for every row of a tile.
struct UnitWeights {
  __m256i lo, hi;  // ±q + 8 of the even / odd elements (u8)
  __m256i mult;    // int16 lane t: 2^(b4[t] + b8[t/2])
};

HWY_INLINE UnitWeights DecodeUnit(const uint8_t* unit) {
  // Code c → ±(c & 7) + 8, the signed magnitude of HIF4.md §3.3 (before 2^sh), biased.
  const __m256i table = _mm256_setr_epi8(8, 9, 10, 11, 12, 13, 14, 15, 8, 7, 6, 5, 4, 3, 2, 1,  //
                                         8, 9, 10, 11, 12, 13, 14, 15, 8, 7, 6, 5, 4, 3, 2, 1);
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(unit + 4));
  UnitWeights w;
  w.lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nib));
  w.hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
  // int16 lane t gets 2^b4[t] (b4[t] = bit t%8 of metadata byte 2 + t/8);
  // then int32 lane l (int16 lanes 2l, 2l+1: one 8-group) is shifted left by
  // b8[l], doubling both halves (each ≤ 2 before, so nothing carries over).
  const __m256i pick = _mm256_setr_epi8(2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1,  //
                                        3, -1, 3, -1, 3, -1, 3, -1, 3, -1, 3, -1, 3, -1, 3, -1);
  const __m256i m4 = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
  uint32_t meta;
  std::memcpy(&meta, unit, 4);
  const __m256i meta_v = _mm256_set1_epi32(static_cast<int>(meta));
  const __m256i b4 = _mm256_and_si256(_mm256_shuffle_epi8(meta_v, pick), m4);
  const __m256i mult4 = _mm256_sub_epi16(_mm256_set1_epi16(1), _mm256_cmpeq_epi16(b4, m4));  // 2^b4
  const __m256i b8 = _mm256_and_si256(_mm256_srlv_epi32(meta_v, _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15)),
                                      _mm256_set1_epi32(1));
  w.mult = _mm256_sllv_epi32(mult4, b8);
  return w;
}

// One unit of one column against one activation row: 8 int32 partial sums of
// Σ q·w (one per 8-group; their total is I_u).
HWY_INLINE __m256i RowPartials(const UnitWeights& w, const int8_t* q, const int16_t* bias) {
  // |(w+8)·q| ≤ 15·127: a pair ≤ 3810, even + odd ≤ 7620, no int16
  // saturation; taking 8·Σq off leaves Σ w·q of the 4-group exactly.
  const __m256i biased =
      _mm256_add_epi16(_mm256_maddubs_epi16(w.lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q))),
                       _mm256_maddubs_epi16(w.hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32))));
  const __m256i exact = _mm256_sub_epi16(biased, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias)));
  return _mm256_madd_epi16(exact, w.mult);
}

// Outputs of rows i0..i0+R-1 for columns j0..j0+cols-1 (C has w.n columns).
// Per unit, each column's weights are decoded once and used for the R rows;
// each output still gets I_u, U_u and acc += U_u in increasing u (§7).
template <int R>
HWY_INLINE void Tile(const Q8Rows& a, const Q8Weights& w, int64_t i0, int64_t j0, int cols, float* c) {
  const int64_t line_bytes = w.units * 36;
  const uint8_t* lines[kCols];
  alignas(32) int32_t offs[kCols];
  for (int col = 0; col < kCols; ++col) {
    const int64_t j = std::min<int64_t>(j0 + col, w.n - 1);  // tail columns repeat the last one
    lines[col] = w.data + j * line_bytes;
    offs[col] = static_cast<int32_t>((j - j0) * line_bytes);
  }
  const __m256i gather_offs = _mm256_load_si256(reinterpret_cast<const __m256i*>(offs));
  const uint8_t* base = w.data + j0 * line_bytes;
  const int8_t* q[R];
  const int16_t* bias[R];
  const float* d[R];
  __m256 acc[R];
  for (int r = 0; r < R; ++r) {
    q[r] = a.q + (i0 + r) * a.units * 64;
    bias[r] = a.bias + (i0 + r) * a.units * 16;
    d[r] = a.d + (i0 + r) * a.units;
    acc[r] = _mm256_setzero_ps();
  }
  for (int64_t u = 0; u < a.units; ++u) {
    // Lane c of quad[r][h] (per 128-bit half) = the hadd tree of columns
    // 4h..4h+3; the final add of the two halves gives I_u of column c in lane c.
    __m256i quad[R][2];
    for (int h = 0; h < 2; ++h) {
      __m256i pair[R][2];
      for (int p = 0; p < 2; ++p) {
        const UnitWeights w0 = DecodeUnit(lines[4 * h + 2 * p] + u * 36);
        const UnitWeights w1 = DecodeUnit(lines[4 * h + 2 * p + 1] + u * 36);
        for (int r = 0; r < R; ++r) {
          pair[r][p] = _mm256_hadd_epi32(RowPartials(w0, q[r] + u * 64, bias[r] + u * 16),
                                         RowPartials(w1, q[r] + u * 64, bias[r] + u * 16));
        }
      }
      for (int r = 0; r < R; ++r) quad[r][h] = _mm256_hadd_epi32(pair[r][0], pair[r][1]);
    }
    // S/4 from the E6M2 code (HIF4.md §3.1): bits (c << 21) + (77 << 23)
    // = 2^((c>>2) − 50) · (1 + (c&3)/4); code 0xFF (NaN unit) → NaN.
    const __m256i meta = _mm256_i32gather_epi32(reinterpret_cast<const int*>(base + u * 36), gather_offs, 1);
    const __m256i code = _mm256_and_si256(meta, _mm256_set1_epi32(0xFF));
    const __m256i s4_bits = _mm256_add_epi32(_mm256_slli_epi32(code, 21), _mm256_set1_epi32(77 << 23));
    const __m256i nan_unit = _mm256_cmpeq_epi32(code, _mm256_set1_epi32(0xFF));
    const __m256 s4 = _mm256_castsi256_ps(_mm256_blendv_epi8(s4_bits, _mm256_set1_epi32(0x7FC00000), nan_unit));
    for (int r = 0; r < R; ++r) {
      const __m256i integer = _mm256_add_epi32(_mm256_permute2x128_si256(quad[r][0], quad[r][1], 0x20),
                                               _mm256_permute2x128_si256(quad[r][0], quad[r][1], 0x31));
      const __m256 ds = _mm256_mul_ps(_mm256_set1_ps(d[r][u]), s4);
      acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(_mm256_cvtepi32_ps(integer), ds));
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(32) float res[kCols];
    _mm256_store_ps(res, acc[r]);
    std::copy_n(res, cols, c + (i0 + r) * w.n + j0);
  }
}

// Rows i0..i0+rows-1 (rows ≤ R) in one tile of exactly that many rows.
template <int R>
HWY_INLINE void TileRows(const Q8Rows& a, const Q8Weights& w, int64_t i0, int64_t rows, int64_t j0, int cols,
                         float* c) {
  if constexpr (R > 1) {
    if (rows < R) return TileRows<R - 1>(a, w, i0, rows, j0, cols, c);
  }
  Tile<R>(a, w, i0, j0, cols, c);
}

bool LinearQ8(const Q8Rows* a, const Q8Weights* w, float* c, int threads) {
  const int64_t panels = (w->n + kCols - 1) / kCols;
  parallel_for(panels, threads, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t j0 = p * kCols;
      const int cols = static_cast<int>(std::min<int64_t>(kCols, w->n - j0));
      for (int64_t i = 0; i < a->m; i += kRows) TileRows<kRows>(*a, *w, i, std::min<int64_t>(kRows, a->m - i), j0, cols, c);
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
  std::vector<int8_t> q(static_cast<size_t>(m * units * 64));
  std::vector<int16_t> bias(static_cast<size_t>(m * units * 16));
  std::vector<float> d(static_cast<size_t>(m * units));
  parallel_for(m, threads, 1, [&](int64_t i0, int64_t i1) {
    std::vector<int8_t> row(static_cast<size_t>(units * 64));
    for (int64_t i = i0; i < i1; ++i) {
      quantize_activations_q8(a + i * k, k, row.data(), d.data() + i * units);
      for (int64_t u = 0; u < units; ++u) {
        const int8_t* src = row.data() + u * 64;
        int8_t* dst = q.data() + (i * units + u) * 64;
        for (int p = 0; p < 32; ++p) {
          dst[p] = src[2 * p];
          dst[32 + p] = src[2 * p + 1];
        }
        for (int t = 0; t < 16; ++t) {
          const int sum = src[4 * t] + src[4 * t + 1] + src[4 * t + 2] + src[4 * t + 3];
          bias[static_cast<size_t>((i * units + u) * 16 + t)] = static_cast<int16_t>(kWeightBias * sum);
        }
      }
    }
  });
  const Q8Rows rows{q.data(), bias.data(), d.data(), m, units};
  const Q8Weights wt{w.record(0, 0), w.rows, units};
  return HWY_DYNAMIC_DISPATCH(LinearQ8)(&rows, &wt, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
