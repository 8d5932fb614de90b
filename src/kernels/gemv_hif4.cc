// Few rows of fp32 activations (M ≤ 16: GEMV and small batches) × packed HiF4
// weights, accumulation kFp32 (docs/matmul.md §2.2): 16 FMA lanes along K with
// the exactly formed weight ŵ, then the halving tree. The weights are decoded
// in registers and never stored; each weight line is read once per group of
// up to 4 activation rows, 4 weight lines at a time, prefetching the next 4.
//
// Per unit (64 values, HIF4.md §3, §7) and weight line:
//   lut   = (±q for the 16 E1M2 codes) · S/4        one load from a table of
//           all 256 scale codes (16 KiB, built once; exact: ≤ 6 significant bits);
// per 16-value chunk t (elements 16t..16t+15):
//   codes = the chunk's 8 payload bytes broadcast to every 64-bit lane and
//           shifted right by 4i in lane i: 32-bit slot 2i then holds nibble i
//           (element 16t+i) in its low 4 bits, slot 2i+1 nibble 8+i;
//   ±q·S/4 = lut[codes & 15]                         one vpermps (it reads only
//           the low 4 bits of each index, so the codes need no masking);
//   ŵ     = ±q·S/4 · 2^(b8 + b4)                     one multiply by a pattern
//           picked by the chunk's six flag bits (pext of the metadata);
//   s     = fma(a, ŵ, s) for each activation row.
// Every step is exact up to the FMA (ŵ has ≤ 6 significant bits, HIF4.md §3),
// so each lane runs exactly the chain of §2.2. Slot order "tau": slot 2i is
// lane i and slot 2i+1 lane 8+i; the activations are stored in that order and
// the final tree reads the lanes back.
//
// AVX-512 targets only (AVX3, AVX3_DL): Highway 1.0.3 has no table lookup that
// ignores the upper index bits (TableLookupLanes asserts in-range indices in
// debug builds, masking them costs an instruction per chunk) and no pext, so
// those two are raw intrinsics inside Highway's per-target namespace. Other
// targets return false and the dense kernel (matmul_dense.cc) runs instead.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/matmul_kernels.h"
#include "kernels/matmul_layout.h"
#include "kernels/parallel_for.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemv_hif4.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/cache_control.h"

#if HWY_ONCE
#include "hwy/aligned_allocator.h"
#endif

#ifndef HIFLOAT_GEMV_HIF4_ONCE
#define HIFLOAT_GEMV_HIF4_ONCE
namespace hifloat::kernels {

// Activation rows handled here, up to 4 per pass over the weights. Measured
// on Zen 4 (docs/performance.md): 4 rows per pass run at ~75 GFLOP/s, and at
// M = 16 this path still takes half the time of the panel-decoding GEMM of
// matmul_dense.cc; revisit the bound when that GEMM gets faster.
constexpr int64_t kGemvMaxRows = 16;

// Weight lines per unit of work handed to a thread (a multiple of the 4-line pass).
constexpr int64_t kGemvBlockLines = 64;

// Slot of lane j (0..15) in the kernel's vectors.
constexpr int gemv_slot(int j) { return 2 * (j & 7) + (j >> 3); }

// 2^(b8 + b4) per slot for one chunk, indexed by the chunk's six flag bits as
// pext packs them: bits 0..1 = b8 of the chunk's two 8-groups, bits 2..5 = b4
// of its four 4-groups (HIF4.md §7: b8 flag g at metadata bit 8+g, b4 flag g
// at bit 16+g).
struct GemvShiftPatterns {
  alignas(64) float v[64][16];
};
inline const GemvShiftPatterns& gemv_shift_patterns() {
  static const GemvShiftPatterns p = [] {
    GemvShiftPatterns r{};
    for (int idx = 0; idx < 64; ++idx)
      for (int j = 0; j < 16; ++j) {
        const int sh = ((idx >> (j >> 3)) & 1) + ((idx >> (2 + (j >> 2))) & 1);
        r.v[idx][gemv_slot(j)] = static_cast<float>(1 << sh);
      }
    return r;
  }();
  return p;
}

// ±q·S/4 for the 16 E1M2 codes (HIF4.md §3.3: 0x8 is −0) and every scale code
// c: the per-unit lookup table, one aligned 64-byte row per code. Code 0xFF
// (NaN unit, §4.1) gives 16 NaNs, so the whole unit decodes to NaN.
struct GemvUnitLuts {
  alignas(64) float v[256][16];
};
inline const GemvUnitLuts& gemv_unit_luts() {
  static const GemvUnitLuts t = [] {
    const auto& s4 = hif4_quarter_scales();
    GemvUnitLuts r{};
    for (int c = 0; c < 256; ++c)
      for (int i = 0; i < 16; ++i) r.v[c][i] = kHif4SignedQ[i] * s4[static_cast<size_t>(c)];  // exact
    return r;
  }();
  return t;
}

// The operands as the kernel reads them.
struct GemvOperands {
  const float* a;       // [m][units*64], tau order per 16-value chunk, zero past K
  int64_t m;
  const uint8_t* w;     // n lines of `units` 36-byte units
  int64_t n, units;
  float* c;             // m×n, row stride n
};

}  // namespace hifloat::kernels
#endif  // HIFLOAT_GEMV_HIF4_ONCE

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3

using DF = hn::Full512<float>;
using VF = hn::Vec<DF>;
using DU64 = hn::Full512<uint64_t>;

// The 16 values ±q·S/4 of one chunk (before 2^sh), slot order.
HWY_INLINE VF ChunkMagnitudes(const uint8_t* payload8, VF lut) {
  const DU64 du64;
  const hn::RebindToSigned<DF> di;
  uint64_t word;
  std::memcpy(&word, payload8, 8);
  alignas(64) static constexpr uint64_t kShifts[8] = {0, 4, 8, 12, 16, 20, 24, 28};
  const auto codes = hn::Shr(hn::Set(du64, word), hn::Load(du64, kShifts));
  return VF{_mm512_permutexvar_ps(hn::BitCast(di, codes).raw, lut.raw)};
}

HWY_INLINE uint32_t Meta(const uint8_t* unit) {
  uint32_t meta;
  std::memcpy(&meta, unit, 4);  // little-endian metadata word (HIF4.md §7)
  return meta;
}

// Outputs of activation rows 0..M-1 for weight lines j0..j0+R-1.
template <int M, int R>
HWY_INLINE void Lines(const GemvOperands& op, int64_t j0) {
  const DF df;
  const auto& luts = gemv_unit_luts();
  const auto& patterns = gemv_shift_patterns();
  const size_t line_bytes = static_cast<size_t>(op.units) * 36;
  const uint8_t* lines[R];
  // Prefetching the lines of the next pass (R lines on) keeps DRAM busy when
  // the weights do not fit in the caches; the last pass re-touches its own.
  const uint8_t* next[R];
  for (int r = 0; r < R; ++r) {
    lines[r] = op.w + static_cast<size_t>(j0 + r) * line_bytes;
    next[r] = j0 + R + r < op.n ? lines[r] + R * line_bytes : lines[r];
  }
  VF acc[M][R];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) acc[i][r] = hn::Zero(df);
  const int64_t ka = op.units * 64;
  for (int64_t u = 0; u < op.units; ++u) {
    uint32_t meta[R];
    VF lut[R];
    for (int r = 0; r < R; ++r) {
      hwy::Prefetch(next[r] + 36 * u);
      meta[r] = Meta(lines[r] + 36 * u);
      lut[r] = hn::Load(df, luts.v[meta[r] & 0xFF]);
    }
    for (int t = 0; t < 4; ++t) {
      VF av[M];
      for (int i = 0; i < M; ++i) av[i] = hn::Load(df, op.a + i * ka + 64 * u + 16 * t);
      const uint32_t flag_mask = (3u << (8 + 2 * t)) | (15u << (16 + 4 * t));
      for (int r = 0; r < R; ++r) {
        const VF mag = ChunkMagnitudes(lines[r] + 36 * u + 4 + 8 * t, lut[r]);
        const VF w = hn::Mul(mag, hn::Load(df, patterns.v[_pext_u32(meta[r], flag_mask)]));  // exact
        for (int i = 0; i < M; ++i) acc[i][r] = hn::MulAdd(av[i], w, acc[i][r]);
      }
    }
  }
  alignas(64) float slots[16];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) {
      hn::Store(acc[i][r], df, slots);
      float s[16];
      for (int j = 0; j < 16; ++j) s[j] = slots[gemv_slot(j)];
      for (int width = 8; width >= 1; width /= 2)  // the halving tree of §2.2
        for (int j = 0; j < width; ++j) s[j] = s[j] + s[j + width];
      op.c[i * op.n + j0 + r] = s[0];
    }
}

template <int M>
void LinesRange(const GemvOperands& op, int64_t j0, int64_t j1) {
  constexpr int R = 4;
  int64_t j = j0;
  for (; j + R <= j1; j += R) Lines<M, R>(op, j);
  for (; j < j1; ++j) Lines<M, 1>(op, j);
}

// Weight lines [j0, j1) for every activation row, in groups of up to 4 rows
// (register tile), each group one pass over the lines.
void LinesAllRows(const GemvOperands& op, int64_t j0, int64_t j1) {
  for (int64_t i0 = 0; i0 < op.m; i0 += 4) {
    GemvOperands g = op;
    g.a = op.a + i0 * op.units * 64;
    g.c = op.c + i0 * op.n;
    g.m = std::min<int64_t>(4, op.m - i0);
    switch (g.m) {
      case 1: LinesRange<1>(g, j0, j1); break;
      case 2: LinesRange<2>(g, j0, j1); break;
      case 3: LinesRange<3>(g, j0, j1); break;
      default: LinesRange<4>(g, j0, j1); break;
    }
  }
}

bool GemvHif4(const GemvOperands* op, int threads) {
  // Blocks of lines from a shared counter (parallel_for_blocks): every output
  // is still computed by one thread in the order of §2.2, so the result does
  // not depend on who ran which block. A block's weights (64 lines × K/64
  // units × 36 bytes, 144 KiB at K = 4096) stay in L2 while the activation
  // row groups of M > 4 pass over them.
  parallel_for_blocks(op->n, threads, kGemvBlockLines,
                      [&](int64_t j0, int64_t j1) { LinesAllRows(*op, j0, j1); });
  return true;
}

// Whether this target has the kernel (checked before preparing operands).
bool HasGemvHif4() { return true; }

#else
bool GemvHif4(const GemvOperands*, int) { return false; }
bool HasGemvHif4() { return false; }
#endif

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(GemvHif4);
HWY_EXPORT(HasGemvHif4);

bool gemv_hif4(const float* a, int64_t m, const PackedLines& w, float* c, int threads) {
  if (m < 1 || m > kGemvMaxRows || w.packed->format.name != "hif4" || w.block_len != 64 || w.record_bytes != 36 ||
      w.header_bytes != 0 || !HWY_DYNAMIC_DISPATCH(HasGemvHif4)()) {
    return false;
  }
  const int64_t k = w.k, units = w.blocks_per_row, ka = units * 64;
  // A in tau order, zero past K: a zero activation adds nothing (fma(0, ŵ, s)
  // = s for finite ŵ, s never −0; a NaN unit poisons the output anyway).
  const auto a_tau = hwy::AllocateAligned<float>(static_cast<size_t>(m * ka));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c0 = 0; c0 < ka; c0 += 16)
      for (int j = 0; j < 16; ++j)
        a_tau[static_cast<size_t>(i * ka + c0 + gemv_slot(j))] = c0 + j < k ? a[i * k + c0 + j] : 0.0f;
  const GemvOperands op{a_tau.get(), m, w.record(0, 0), w.rows, units, c};
  return HWY_DYNAMIC_DISPATCH(GemvHif4)(&op, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
