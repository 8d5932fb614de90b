// Few rows of fp32 activations (M ≤ 96: GEMV and batches) × packed HiF4
// weights, accumulation kFp32 (docs/matmul.md §2.2): 16 FMA lanes along K with
// the exactly formed weight ŵ, then the halving tree. The weights are decoded
// in registers and never stored; each weight line is read once per group of
// up to 4 activation rows, R weight lines at a time (the register tile),
// prefetching the next R.
//
// AVX-512 (AVX3, AVX3_DL), per unit (64 values, HIF4.md §3, §7) and weight line:
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
// AVX2: the same 16 slots in two 8-slot vectors (slots 0..7: lanes 0,8,1,9,
// 2,10,3,11 from shifts 0,4,8,12; slots 8..15: lanes 4..7, 12..15 from shifts
// 16..28), so the activations, the patterns and the tree are shared with the
// AVX-512 form. vpermps has 8 entries there (index bits 0..2), so the table
// holds the magnitudes m·S/4 (m = code & 7) with m<<28 subtracted from their
// bits, and adding code<<28 (one shift, one integer add) restores m·S/4 and
// flips the sign bit for codes 8..15: ±q·S/4 exactly (gemv_unit_luts_avx2).
// The pattern row comes from shifts and masks of the metadata, not pext (it
// is microcoded and slow on Zen 2). Per chunk and line: 2 × (vpsrlvq,
// vpermps, vpslld, vpaddd, vmulps) and one FMA per 8 lanes and row.
//
// Highway 1.0.3 has no table lookup that ignores the upper index bits
// (TableLookupLanes asserts in-range indices in debug builds, masking them
// costs an instruction per chunk) and no pext, so those are raw intrinsics
// inside Highway's per-target namespace. Other targets (SSE4, scalar, Arm)
// return false and the dense kernel (matmul_dense.cc) runs instead.
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

// AVX2 form of the per-unit table (vpermps has only 8 entries there): for
// every scale code c and magnitude m = 0..7 the bits of m·S/4 minus m<<28
// (mod 2^32). The kernel adds code<<28 = (sign<<31) + (m<<28) to the looked-up
// entry, which restores the bits of m·S/4 and adds 2^31, i.e. flips the sign
// bit for codes 8..15 (HIF4.md §3.3: −q, with 0x8 = −0): ±q·S/4 exactly, in
// two integer operations. NaN unit (0xFF): NaN for every code.
struct GemvUnitLutsAvx2 {
  alignas(32) uint32_t v[256][8];
};
inline const GemvUnitLutsAvx2& gemv_unit_luts_avx2() {
  static const GemvUnitLutsAvx2 t = [] {
    const auto& s4 = hif4_quarter_scales();
    GemvUnitLutsAvx2 r{};
    for (int c = 0; c < 256; ++c)
      for (uint32_t m = 0; m < 8; ++m) {
        const float mag = static_cast<float>(m) * s4[static_cast<size_t>(c)];  // exact
        uint32_t bits;
        std::memcpy(&bits, &mag, 4);
        r.v[c][m] = bits - (m << 28);  // unsigned: wraps mod 2^32
      }
    return r;
  }();
  return t;
}

// The output from the 16 lane sums stored in slot order: the halving tree of §2.2.
inline float LaneTree(const float* slots) { return lane_tree_of<gemv_slot>(slots); }

// The operands as the kernel reads them.
struct GemvOperands {
  const float* a;       // [m][units*64], tau order per 16-value chunk, zero past K
  int64_t m;
  const uint8_t* w;     // n lines of `units` 36-byte units
  int64_t n, units;
  float* c;             // m×n, row stride n
};

// The R weight lines j0.. of one pass, and the lines R on that the pass
// prefetches: that keeps DRAM busy when the weights do not fit in the caches
// (the last pass re-touches its own lines).
template <int R>
struct GemvPassLines {
  const uint8_t* line[R];
  const uint8_t* next[R];
  GemvPassLines(const GemvOperands& op, int64_t j0) {
    const size_t line_bytes = static_cast<size_t>(op.units) * 36;
    for (int r = 0; r < R; ++r) {
      line[r] = op.w + static_cast<size_t>(j0 + r) * line_bytes;
      next[r] = j0 + R + r < op.n ? line[r] + R * line_bytes : line[r];
    }
  }
};

}  // namespace hifloat::kernels
#endif  // HIFLOAT_GEMV_HIF4_ONCE

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_ARCH_X86 && (HWY_TARGET <= HWY_AVX3 || HWY_TARGET == HWY_AVX2)

HWY_INLINE uint32_t Meta(const uint8_t* unit) {
  uint32_t meta;
  std::memcpy(&meta, unit, 4);  // little-endian metadata word (HIF4.md §7)
  return meta;
}

// Activation rows per pass over the weights on both targets (the switch in
// LinesAllRows); LinesPerPass gives the weight lines of the register tile.
constexpr int64_t kRowsPerPass = 4;

// The chunk's 8 payload bytes broadcast to every 64-bit lane.
template <class DU64>
HWY_INLINE hn::Vec<DU64> BroadcastPayload(DU64 du64, const uint8_t* payload8) {
  uint64_t word;
  std::memcpy(&word, payload8, 8);
  return hn::Set(du64, word);
}

#if HWY_TARGET <= HWY_AVX3

using DF = hn::Full512<float>;
using VF = hn::Vec<DF>;
using DU64 = hn::Full512<uint64_t>;

// The 16 values ±q·S/4 of one chunk (before 2^sh), slot order.
HWY_INLINE VF ChunkMagnitudes(const uint8_t* payload8, VF lut) {
  const DU64 du64;
  const hn::RebindToSigned<DF> di;
  alignas(64) static constexpr uint64_t kShifts[8] = {0, 4, 8, 12, 16, 20, 24, 28};
  const auto codes = hn::Shr(BroadcastPayload(du64, payload8), hn::Load(du64, kShifts));
  return VF{_mm512_permutexvar_ps(hn::BitCast(di, codes).raw, lut.raw)};
}

// Outputs of activation rows 0..M-1 for weight lines j0..j0+R-1.
template <int M, int R>
HWY_INLINE void Lines(const GemvOperands& op, int64_t j0) {
  const DF df;
  const auto& luts = gemv_unit_luts();
  const auto& patterns = gemv_shift_patterns();
  const GemvPassLines<R> pass(op, j0);
  const auto& lines = pass.line;
  const auto& next = pass.next;
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
      op.c[i * op.n + j0 + r] = LaneTree(slots);
    }
}

#else  // AVX2

using DF = hn::Full256<float>;
using VF = hn::Vec<DF>;
using DU64 = hn::Full256<uint64_t>;
using DI = hn::Full256<int32_t>;

// ŵ of one half of a chunk: slots 8h..8h+7 of the 16 (tau order), i.e. lanes
// i and 8+i for i = 4h..4h+3. Steps (all exact, see the file comment):
//   codes = payload >> 4i in 64-bit lane i-4h (nibble i in slot 2(i-4h),
//           nibble 8+i in slot 2(i-4h)+1, garbage above bit 3);
//   bits  = lut'[codes & 7] + (codes << 28)   vpermps reads index bits 0..2 only;
//           the add restores m·S/4 and sets the sign (GemvUnitLutsAvx2);
//   ŵ     = bits · 2^(b8 + b4).
template <int h>
HWY_INLINE VF HalfWeights(hn::Vec<DU64> payload, const uint32_t* lut, const float* pattern) {
  const DF df;
  const DI di;
  const DU64 du64;
  alignas(32) static constexpr uint64_t kShifts[2][4] = {{0, 4, 8, 12}, {16, 20, 24, 28}};
  const auto codes = hn::BitCast(di, hn::Shr(payload, hn::Load(du64, kShifts[h])));
  const hn::Vec<DI> table{_mm256_castps_si256(
      _mm256_permutevar8x32_ps(_mm256_castsi256_ps(hn::Load(di, reinterpret_cast<const int32_t*>(lut)).raw), codes.raw))};
  const auto bits = hn::Add(table, hn::ShiftLeft<28>(codes));
  return hn::Mul(hn::BitCast(df, bits), hn::Load(df, pattern + 8 * h));  // exact
}

// Outputs of activation rows 0..M-1 for weight lines j0..j0+R-1, as the
// AVX-512 form above: two accumulators (slots 0..7, 8..15) per row and line.
template <int M, int R>
HWY_INLINE void Lines(const GemvOperands& op, int64_t j0) {
  const DF df;
  const DU64 du64;
  const auto& luts = gemv_unit_luts_avx2();
  const auto& patterns = gemv_shift_patterns();
  const GemvPassLines<R> pass(op, j0);
  const auto& lines = pass.line;
  const auto& next = pass.next;
  VF acc[M][R][2];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) acc[i][r][0] = acc[i][r][1] = hn::Zero(df);
  const int64_t ka = op.units * 64;
  for (int64_t u = 0; u < op.units; ++u) {
    uint32_t meta[R];
    const uint32_t* lut[R];
    for (int r = 0; r < R; ++r) {
      hwy::Prefetch(next[r] + 36 * u);
      meta[r] = Meta(lines[r] + 36 * u);
      lut[r] = luts.v[meta[r] & 0xFF];
    }
    for (int t = 0; t < 4; ++t) {
      const float* a = op.a + 64 * u + 16 * t;
      for (int r = 0; r < R; ++r) {
        // The chunk's pattern row, b8 | b4 << 2 (the pext order), as a byte
        // offset (rows of 64 bytes) straight from the metadata: b8 of the
        // chunk at bits 8+2t, b4 at bits 16+4t. No pext: it is microcoded and
        // slow on Zen 2, an AVX2 CPU.
        const uint32_t offset = ((meta[r] >> (2 + 2 * t)) & (3u << 6)) | ((meta[r] >> (8 + 4 * t)) & (15u << 8));
        const float* pattern = reinterpret_cast<const float*>(reinterpret_cast<const char*>(patterns.v) + offset);
        const auto payload = BroadcastPayload(du64, lines[r] + 36 * u + 4 + 8 * t);
        const VF w0 = HalfWeights<0>(payload, lut[r], pattern);
        const VF w1 = HalfWeights<1>(payload, lut[r], pattern);
        for (int i = 0; i < M; ++i) {
          acc[i][r][0] = hn::MulAdd(hn::Load(df, a + i * ka), w0, acc[i][r][0]);
          acc[i][r][1] = hn::MulAdd(hn::Load(df, a + i * ka + 8), w1, acc[i][r][1]);
        }
      }
    }
  }
  alignas(32) float slots[16];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) {
      hn::Store(acc[i][r][0], df, slots);
      hn::Store(acc[i][r][1], df, slots + 8);
      op.c[i * op.n + j0 + r] = LaneTree(slots);
    }
}

#endif  // AVX2

// Lines per pass for M rows: the register tile of the target.
template <int M>
constexpr int LinesPerPass() {
#if HWY_TARGET <= HWY_AVX3
  return 4;
#else
  // 16 ymm registers hold 2·M·R accumulators plus the decode temporaries;
  // measured on Zen 4 (docs/performance.md): 1 row × 2 lines ran as fast as
  // 1 × 3 and ~10 % faster than 1 × 4 (which spills), and 4 rows × 1 line
  // beat 2 rows × 2 lines at M = 4 and 16.
  return M <= 2 ? 2 : 1;
#endif
}

template <int M>
void LinesRange(const GemvOperands& op, int64_t j0, int64_t j1) {
  constexpr int R = LinesPerPass<M>();
  int64_t j = j0;
  for (; j + R <= j1; j += R) Lines<M, R>(op, j);
  for (; j < j1; ++j) Lines<M, 1>(op, j);
}

// Weight lines [j0, j1) for every activation row, in groups of up to
// kRowsPerPass rows (register tile), each group one pass over the lines.
void LinesAllRows(const GemvOperands& op, int64_t j0, int64_t j1) {
  static_assert(kRowsPerPass == 4, "the switch below covers 1..4 rows");
  for (int64_t i0 = 0; i0 < op.m; i0 += kRowsPerPass) {
    GemvOperands g = op;
    g.a = op.a + i0 * op.units * 64;
    g.c = op.c + i0 * op.n;
    g.m = std::min<int64_t>(kRowsPerPass, op.m - i0);
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
  if (m < 1 || m > kGemvMaxRows || w.packed.format.name != "hif4" || w.block_len != 64 || w.record_bytes != 36 ||
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
