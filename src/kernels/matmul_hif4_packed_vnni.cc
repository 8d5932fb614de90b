// HiF4 × HiF4 (both packed) with AVX-512 VNNI (vpdpbusd: 64 u8 × s8 products
// per instruction, four summed into each int32 lane). Same integer form and
// fp32 steps as matmul_hif4_packed.cc, of which this is a faster twin: per
// unit pair I = Σ a_k b_k exactly (docs/matmul.md §1), then
// U = fp32(I)·((S_a/4)(S_b/4)) and the accumulation of §2.2, each output's
// units in increasing k.
//
// vpdpbusd wants one unsigned operand. The unit integers satisfy |w| ≤ 28, so
// A is stored biased, a + 32 ∈ [4, 60] (u8), B signed (s8), and the bias is
// taken back exactly: Σ (a+32)·b = I + 32·Σ b, so each int32 accumulator
// starts at −32·Σ b of its B unit (precomputed per column). Every partial sum
// stays below 64·60·28 < 2^17: no overflow, I is exact.
//
// Layouts: A as [m][unit][16 quads] of four u8 (k = 4q..4q+3, broadcast as
// one int32); B as panels of 32 columns [panel][unit][quad][column][4] (s8).
// Highway 1.0.3 has no u8 × s8 dot product and its AVX3_DL target string
// names avxvnni (VEX) rather than avx512vnni, so the kernel is raw intrinsics
// in the AVX3_DL namespace with avx512vnni added to its target attribute
// (AVX3_DL is only dispatched to on CPUs with AVX512-VNNI). Other targets
// report false and the int16 kernel runs.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/exact_sum.h"
#include "kernels/hif4_unit_integers.h"
#include "kernels/matmul_kernels.h"
#include "kernels/matmul_layout.h"
#include "kernels/parallel_for.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_hif4_packed_vnni.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#ifndef HIFLOAT_MATMUL_HIF4_PACKED_VNNI_ONCE
#define HIFLOAT_MATMUL_HIF4_PACKED_VNNI_ONCE
namespace hifloat::kernels {

constexpr int kVnniCols = 32;  // output columns per B panel (two zmm of int32)
constexpr int kVnniQuads = 16; // k quads per 64-element unit
constexpr int kABias = 32;     // a + 32 ∈ [4, 60] is the unsigned operand

struct VnniOperands {
  const uint32_t* a_quads;  // [m][units][16]: bytes a+32 of k = 4q..4q+3
  const float* a_s4;        // [m][units]
  const int8_t* b_panels;   // [panel][units][16][kVnniCols][4]
  const int32_t* b_bias;    // [panel][units][kVnniCols]: −32·Σ b over the unit
  const float* b_s4;        // [panel][units][kVnniCols]
  int64_t m, n, units;
};

}  // namespace hifloat::kernels
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {

#if HWY_TARGET == HWY_AVX3_DL
#define HIFLOAT_VNNI_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))

bool HasVnniKernel() { return true; }

// Rows i0..i0+R-1 against one panel; `cols` of its columns are written.
template <int R, bool kFp32>
HIFLOAT_VNNI_ATTR HWY_INLINE void VnniTile(const VnniOperands& op, int64_t i0, int64_t panel, float* c, int64_t ldc,
                                           int cols, Accumulation mode) {
  const int8_t* bp = op.b_panels + panel * op.units * kVnniQuads * kVnniCols * 4;
  const int32_t* bb = op.b_bias + panel * op.units * kVnniCols;
  const float* bs = op.b_s4 + panel * op.units * kVnniCols;
  __m512 accf[R][2];
  for (int r = 0; r < R; ++r) accf[r][0] = accf[r][1] = _mm512_setzero_ps();
  UnitSumAccumulators<kFp32 ? 1 : R, kFp32 ? 1 : kVnniCols> slow;
  for (int64_t u = 0; u < op.units; ++u) {
    const __m512i bias0 = _mm512_loadu_si512(bb + u * kVnniCols);
    const __m512i bias1 = _mm512_loadu_si512(bb + u * kVnniCols + 16);
    __m512i acc[R][2];
    for (int r = 0; r < R; ++r) {
      acc[r][0] = bias0;
      acc[r][1] = bias1;
    }
    const int8_t* bu = bp + u * kVnniQuads * kVnniCols * 4;
    const uint32_t* au = op.a_quads + (i0 * op.units + u) * kVnniQuads;
    const int64_t a_stride = op.units * kVnniQuads;
    for (int q = 0; q < kVnniQuads; ++q) {
      const __m512i b0 = _mm512_loadu_si512(bu + q * kVnniCols * 4);
      const __m512i b1 = _mm512_loadu_si512(bu + q * kVnniCols * 4 + 64);
      for (int r = 0; r < R; ++r) {
        const __m512i av = _mm512_set1_epi32(static_cast<int>(au[r * a_stride + q]));
        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, b0);
        acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, b1);
      }
    }
    const __m512 bs0 = _mm512_loadu_ps(bs + u * kVnniCols), bs1 = _mm512_loadu_ps(bs + u * kVnniCols + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 sa = _mm512_set1_ps(op.a_s4[(i0 + r) * op.units + u]);
      // (S_a/4)(S_b/4) first (exact), then times I (exact): U.
      const __m512 U0 = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][0]), _mm512_mul_ps(sa, bs0));
      const __m512 U1 = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][1]), _mm512_mul_ps(sa, bs1));
      if constexpr (kFp32) {
        accf[r][0] = _mm512_add_ps(accf[r][0], U0);
        accf[r][1] = _mm512_add_ps(accf[r][1], U1);
      } else {
        alignas(64) float uv[kVnniCols];
        _mm512_store_ps(uv, U0);
        _mm512_store_ps(uv + 16, U1);
        for (int col = 0; col < kVnniCols; ++col) slow.add(mode, r, col, uv[col]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(64) float out[kVnniCols];
    if constexpr (kFp32) {
      if (cols == kVnniCols) {  // a full panel: straight to C
        _mm512_storeu_ps(c + (i0 + r) * ldc, accf[r][0]);
        _mm512_storeu_ps(c + (i0 + r) * ldc + 16, accf[r][1]);
        continue;
      }
      _mm512_store_ps(out, accf[r][0]);
      _mm512_store_ps(out + 16, accf[r][1]);
    } else {
      for (int col = 0; col < kVnniCols; ++col) out[col] = slow.result(mode, r, col);
    }
    std::copy_n(out, cols, c + (i0 + r) * ldc);
  }
}

template <bool kFp32>
HIFLOAT_VNNI_ATTR void VnniPanels(const VnniOperands& op, int64_t p0, int64_t p1, float* c, Accumulation mode) {
  constexpr int MR = 4;
  for (int64_t panel = p0; panel < p1; ++panel) {
    const int cols = static_cast<int>(std::min<int64_t>(kVnniCols, op.n - panel * kVnniCols));
    float* cp = c + panel * kVnniCols;
    int64_t i = 0;
    for (; i + MR <= op.m; i += MR) VnniTile<MR, kFp32>(op, i, panel, cp, op.n, cols, mode);
    for (; i < op.m; ++i) VnniTile<1, kFp32>(op, i, panel, cp, op.n, cols, mode);
  }
}

// The 64 integers w of a unit (HIF4.md §3: ±q·2^sh) as int8 in k order.
// Byte i of x is payload byte i/2 (vpermb); even i keep its low nibble, odd i
// its high one; vpshufb maps code c to ±(c & 7); then w doubles where the
// unit's b8 flag of the 8-group i/8 is set and again where the b4 flag of the
// 4-group i/4 is set (|w| ≤ 28: no int8 overflow).
HIFLOAT_VNNI_ATTR HWY_INLINE __m512i UnitIntegers(const uint8_t* unit) {
  alignas(64) static constexpr uint8_t kHalf[64] = {
      0,  0,  1,  1,  2,  2,  3,  3,  4,  4,  5,  5,  6,  6,  7,  7,  8,  8,  9,  9,  10, 10,
      11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21,
      22, 22, 23, 23, 24, 24, 25, 25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 31};
  const __m512i payload = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(unit + 4)));
  const __m512i x = _mm512_permutexvar_epi8(_mm512_load_si512(kHalf), payload);
  const __m512i nib = _mm512_set1_epi8(0x0F);
  const __m512i codes = _mm512_mask_blend_epi8(0xAAAAAAAAAAAAAAAAull, _mm512_and_si512(x, nib),
                                               _mm512_and_si512(_mm512_srli_epi16(x, 4), nib));
  const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 0, -1, -2, -3, -4, -5, -6, -7));
  __m512i w = _mm512_shuffle_epi8(table, codes);
  uint32_t meta;
  std::memcpy(&meta, unit, 4);
  // Bit j of the flags → bits 8j..8j+7 (b8) or 4j..4j+3 (b4) of a lane mask.
  const __mmask64 b8 = _pdep_u64((meta >> 8) & 0xFF, 0x0101010101010101ull) * 0xFF;
  const __mmask64 b4 = _pdep_u64(meta >> 16, 0x1111111111111111ull) * 0xF;
  w = _mm512_mask_add_epi8(w, b8, w, w);
  return _mm512_mask_add_epi8(w, b4, w, w);
}

// Rows i0..i1-1 of A: bytes a + 32 in k order, and S/4.
HIFLOAT_VNNI_ATTR void UnpackA(const PackedLines& a, int64_t i0, int64_t i1, uint32_t* quads, float* s4_out) {
  const auto& s4 = hif4_quarter_scales();
  const int64_t units = a.blocks_per_row;
  const __m512i bias = _mm512_set1_epi8(kABias);
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t* unit = a.record(i, u);
      s4_out[i * units + u] = s4[unit[0]];
      _mm512_storeu_si512(quads + (i * units + u) * kVnniQuads, _mm512_add_epi8(UnitIntegers(unit), bias));
    }
}

// Lines j0..j1-1 of B into their panels: each unit's 16 quads go to
// [quad][column], with −32·Σ w and S/4.
HIFLOAT_VNNI_ATTR void UnpackB(const PackedLines& b, int64_t j0, int64_t j1, int8_t* panels, int32_t* bias,
                               float* s4_out) {
  const auto& s4 = hif4_quarter_scales();
  const int64_t units = b.blocks_per_row;
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t panel = j / kVnniCols, col = j % kVnniCols;
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t* unit = b.record(j, u);
      const int64_t pu = panel * units + u;
      s4_out[pu * kVnniCols + col] = s4[unit[0]];
      const __m512i w = UnitIntegers(unit);
      bias[pu * kVnniCols + col] = -kABias * _mm512_reduce_add_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, w));
      alignas(64) uint32_t q[kVnniQuads];
      _mm512_store_si512(q, w);
      uint32_t* dst = reinterpret_cast<uint32_t*>(panels + pu * kVnniQuads * kVnniCols * 4);
      for (int t = 0; t < kVnniQuads; ++t) dst[t * kVnniCols + col] = q[t];
    }
  }
}

bool Hif4PackedVnni(const PackedLines* a, const PackedLines* b, Accumulation mode, float* c, int threads) {
  const int64_t m = a->rows, n = b->rows, units = b->blocks_per_row;
  const int64_t panels = (n + kVnniCols - 1) / kVnniCols;
  std::vector<uint32_t> a_quads(static_cast<size_t>(m * units * kVnniQuads));
  std::vector<float> a_s4(static_cast<size_t>(m * units));
  // Padding columns of the last panel: b = 0, bias 0, S/4 0 (never stored).
  std::vector<int8_t> b_panels(static_cast<size_t>(panels * units * kVnniQuads * kVnniCols * 4), 0);
  std::vector<int32_t> b_bias(static_cast<size_t>(panels * units * kVnniCols), 0);
  std::vector<float> b_s4(static_cast<size_t>(panels * units * kVnniCols), 0.0f);
  parallel_for(m, threads, 16, [&](int64_t i0, int64_t i1) { UnpackA(*a, i0, i1, a_quads.data(), a_s4.data()); });
  parallel_for(n, threads, kVnniCols, [&](int64_t j0, int64_t j1) {
    UnpackB(*b, j0, j1, b_panels.data(), b_bias.data(), b_s4.data());
  });
  const VnniOperands op{a_quads.data(), a_s4.data(), b_panels.data(), b_bias.data(), b_s4.data(), m, n, units};
  parallel_for(panels, threads, 1, [&](int64_t p0, int64_t p1) {
    if (mode == Accumulation::kFp32) {
      VnniPanels<true>(op, p0, p1, c, mode);
    } else {
      VnniPanels<false>(op, p0, p1, c, mode);
    }
  });
  return true;
}
#undef HIFLOAT_VNNI_ATTR
#else
bool HasVnniKernel() { return false; }
bool Hif4PackedVnni(const PackedLines*, const PackedLines*, Accumulation, float*, int) { return false; }
#endif

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(HasVnniKernel);
HWY_EXPORT(Hif4PackedVnni);

bool hif4_packed_vnni_dispatched() { return HWY_DYNAMIC_DISPATCH(HasVnniKernel)(); }

bool matmul_hif4_packed_vnni(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads) {
  return HWY_DYNAMIC_DISPATCH(Hif4PackedVnni)(&a, &b, acc, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
