// HiF4 × HiF4 (both packed), all accumulations, by the integer form of
// HIF4.md §9: each unit pair gives I = Σ (±q·2^sh)_a (±q·2^sh)_b, an exact
// integer, and the unit product I·(S_a/4)(S_b/4) is exact in fp32
// (docs/matmul.md §1). Outer-product register tiles: lanes are output
// columns, so each output's units are added in increasing k as §2.2 says.
//
// Operands are unpacked once: A to int32 pairs (two int16 values per k pair),
// B to int16 panels [panel][k pair][column][2], and both scales to S/4.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/exact_sum.h"
#include "kernels/hif4_unit_integers.h"
#include "kernels/matmul_kernels.h"
#include "kernels/matmul_layout.h"
#include "kernels/parallel_for.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_hif4_packed.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#ifndef HIFLOAT_MATMUL_HIF4_PACKED_ONCE
#define HIFLOAT_MATMUL_HIF4_PACKED_ONCE
namespace hifloat::kernels {

constexpr int kPanelCols = 32;  // output columns per B panel (two AVX-512 vectors)

struct Operands {
  const int32_t* a_pairs;  // [m][units*32]
  const float* a_s4;       // [m][units]
  const int16_t* b_panels; // [panel][units*32][kPanelCols][2]
  const float* b_s4;       // [panel][units][kPanelCols]
  int64_t m, n, units;
};

}  // namespace hifloat::kernels
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Only where ReorderWidenMulAccumulate is vpmaddwd (i32 lane j = i16 pair j).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2

using DF = hn::CappedTag<float, 16>;
using DI = hn::RebindToSigned<DF>;
using DW = hn::Repartition<int16_t, DI>;
constexpr size_t L = hn::MaxLanes(DF());
constexpr int NJ = static_cast<int>(kPanelCols / L);  // vectors per panel row
constexpr int MR = 4;

// U values (unit products) of rows i0..i0+R-1 against one panel, handed to
// `sink(r, u, U[kPanelCols])`, or accumulated in fp32 directly.
template <int R, bool kFp32>
HWY_INLINE void TileUnits(const Operands& op, int64_t i0, int64_t panel, float* c, int64_t ldc, int cols,
                          Accumulation acc_mode) {
  const DF df;
  const DI di;
  const DW dw;
  const int16_t* bp = op.b_panels + panel * op.units * 32 * kPanelCols * 2;
  const float* bs = op.b_s4 + panel * op.units * kPanelCols;
  hn::Vec<DF> accf[R][NJ];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NJ; ++j) accf[r][j] = hn::Zero(df);
  UnitSumAccumulators<kFp32 ? 1 : R, kFp32 ? 1 : kPanelCols> slow;
  for (int64_t u = 0; u < op.units; ++u) {
    hn::Vec<DI> acc[R][NJ];
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < NJ; ++j) acc[r][j] = hn::Zero(di);
    const int16_t* bu = bp + u * 32 * kPanelCols * 2;
    for (int p = 0; p < 32; ++p) {
      hn::Vec<DW> bv[NJ];
      for (int j = 0; j < NJ; ++j) bv[j] = hn::LoadU(dw, bu + (p * kPanelCols + j * L) * 2);
      for (int r = 0; r < R; ++r) {
        const auto av = hn::BitCast(dw, hn::Set(di, op.a_pairs[(i0 + r) * op.units * 32 + u * 32 + p]));
        for (int j = 0; j < NJ; ++j) {
          auto unused = hn::Zero(di);
          acc[r][j] = hn::ReorderWidenMulAccumulate(di, av, bv[j], acc[r][j], unused);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      const auto sa = hn::Set(df, op.a_s4[(i0 + r) * op.units + u]);
      for (int j = 0; j < NJ; ++j) {
        // (S_a/4)(S_b/4) first (exact), then times I (exact): U.
        const auto U = hn::Mul(hn::ConvertTo(df, acc[r][j]), hn::Mul(sa, hn::LoadU(df, bs + u * kPanelCols + j * L)));
        if constexpr (kFp32) {
          accf[r][j] = hn::Add(accf[r][j], U);
        } else {
          alignas(64) float uv[L];
          hn::Store(U, df, uv);
          for (size_t l = 0; l < L; ++l) slow.add(acc_mode, r, static_cast<int>(j * L + l), uv[l]);
        }
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(64) float out[kPanelCols];
    if constexpr (kFp32) {
      for (int j = 0; j < NJ; ++j) hn::Store(accf[r][j], df, out + j * L);
    } else {
      for (int col = 0; col < kPanelCols; ++col) out[col] = slow.result(acc_mode, r, col);
    }
    std::copy_n(out, cols, c + (i0 + r) * ldc);
  }
}

template <bool kFp32>
void RunPanels(const Operands& op, int64_t p0, int64_t p1, float* c, Accumulation mode) {
  for (int64_t panel = p0; panel < p1; ++panel) {
    const int cols = static_cast<int>(std::min<int64_t>(kPanelCols, op.n - panel * kPanelCols));
    float* cp = c + panel * kPanelCols;
    int64_t i = 0;
    for (; i + MR <= op.m; i += MR) TileUnits<MR, kFp32>(op, i, panel, cp, op.n, cols, mode);
    for (; i < op.m; ++i) TileUnits<1, kFp32>(op, i, panel, cp, op.n, cols, mode);
  }
}

bool Hif4Packed(const Operands* op, Accumulation mode, float* c, int threads) {
  const int64_t panels = (op->n + kPanelCols - 1) / kPanelCols;
  parallel_for(panels, threads, 1, [&](int64_t p0, int64_t p1) {
    if (mode == Accumulation::kFp32) {
      RunPanels<true>(*op, p0, p1, c, mode);
    } else {
      RunPanels<false>(*op, p0, p1, c, mode);
    }
  });
  return true;
}
#else
bool Hif4Packed(const Operands*, Accumulation, float*, int) { return false; }
#endif

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(Hif4Packed);

// The AVX-512 VNNI kernel (matmul_hif4_packed_vnni.cc); false where the
// dispatched target has no VNNI, and this file's kernel runs.
bool matmul_hif4_packed_vnni(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads);

bool matmul_hif4_packed(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads) {
  if (matmul_hif4_packed_vnni(a, b, acc, c, threads)) return true;
  const int64_t m = a.rows, n = b.rows, units = b.blocks_per_row;
  const auto& s4 = hif4_quarter_scales();
  const int64_t panels = (n + kPanelCols - 1) / kPanelCols;
  std::vector<int32_t> a_pairs(static_cast<size_t>(m * units * 32));
  std::vector<float> a_s4(static_cast<size_t>(m * units));
  std::vector<int16_t> b_panels(static_cast<size_t>(panels * units * 32 * kPanelCols * 2), 0);
  std::vector<float> b_s4(static_cast<size_t>(panels * units * kPanelCols), 0.0f);
  parallel_for(m, threads, 16, [&](int64_t i0, int64_t i1) {
    int16_t w[64];
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t u = 0; u < units; ++u) {
        const uint8_t* unit = a.record(i, u);
        unit_integers(unit, w);
        a_s4[i * units + u] = s4[unit[0]];
        for (int p = 0; p < 32; ++p) {
          const uint32_t pair = static_cast<uint16_t>(w[2 * p]) | (uint32_t{static_cast<uint16_t>(w[2 * p + 1])} << 16);
          a_pairs[(i * units + u) * 32 + p] = static_cast<int32_t>(pair);
        }
      }
  });
  parallel_for(n, threads, kPanelCols, [&](int64_t j0, int64_t j1) {
    int16_t w[64];
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t panel = j / kPanelCols, col = j % kPanelCols;
      for (int64_t u = 0; u < units; ++u) {
        const uint8_t* unit = b.record(j, u);
        unit_integers(unit, w);
        b_s4[(panel * units + u) * kPanelCols + col] = s4[unit[0]];
        int16_t* dst = b_panels.data() + (panel * units + u) * 32 * kPanelCols * 2;
        for (int p = 0; p < 32; ++p) {
          dst[(p * kPanelCols + col) * 2] = w[2 * p];
          dst[(p * kPanelCols + col) * 2 + 1] = w[2 * p + 1];
        }
      }
    }
  });
  const Operands op{a_pairs.data(), a_s4.data(), b_panels.data(), b_s4.data(), m, n, units};
  return HWY_DYNAMIC_DISPATCH(Hif4Packed)(&op, acc, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
