// Dense fp32 activations × packed weights, accumulation kFp32, for M ≥ a few
// rows (docs/matmul.md §2.2, §3). Small M stays in matmul_dense.cc.
//
// The rule gives every output 16 independent FMA chains: lane j runs over
// k = j, j+16, j+32, … in increasing order from +0. Chains of different lanes
// never meet before the final halving tree, so they may run one after the
// other. Both operands are packed with K permuted lane-major,
//   k' = j·D + t  for  k = 16t + j   (D = Kp/16, Kp = K rounded up to 16),
// and then lane j's chain is the contiguous stretch k' ∈ [jD, (j+1)D): an
// ordinary outer-product GEMM micro-kernel (lanes of a vector = output
// columns, one broadcast A value per row) over that stretch computes exactly
// the chain s_j of every output of its MR×NR tile. The 16 chain results of a
// tile are parked in a small buffer and the tree runs vectorised across the
// tile's columns. The zero padding of K (k ≥ K) adds fma(0, 0, s) = s: chains
// start at +0 and never become −0, so padding changes nothing.
//
// Blocking: A is packed into MR-row panels (Kp × MR each), up to ~32 MiB of
// rows per pass. Each thread owns a range of output columns (N) and decodes
// NC weight rows at a time into NR-column panels (Kp × NR each), then runs
// every A panel against them; an A panel (MR·Kp floats) stays in L2 across
// the NC/NR weight panels.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "hifloat/hif8.h"
#include "kernels/matmul_kernels.h"
#include "kernels/matmul_layout.h"
#include "hwy/aligned_allocator.h"
#include "kernels/parallel_for.h"

#ifndef HIFLOAT_MATMUL_DENSE_GEMM_ONCE
#define HIFLOAT_MATMUL_DENSE_GEMM_ONCE
namespace hifloat::kernels {

// Line `row` of b (k values along K, natural order) to fp32. HiF4 and HiF8
// use table decoders (same values as the reference decoders: every HiF4
// element is ±q·2^sh·S/4 with each factor exact and the product ≤ 6
// significant bits); other formats decode through their codec.
void decode_line_natural(const PackedLines& b, int64_t row, float* out) {
  const int64_t k = b.k;
  const std::string& name = b.packed->format.name;
  if (name == "hif4" && b.block_len == 64 && b.record_bytes == 36) {
    const auto& s4 = hif4_quarter_scales();
    for (int64_t u = 0; u < b.blocks_per_row; ++u) {
      const uint8_t* unit = b.record(row, u);
      const uint32_t meta = uint32_t{unit[0]} | (uint32_t{unit[1]} << 8) | (uint32_t{unit[2]} << 16) |
                            (uint32_t{unit[3]} << 24);
      const float s = s4[meta & 0xFF];
      const int64_t n = std::min<int64_t>(64, k - 64 * u);
      float* o = out + 64 * u;
      for (int64_t i = 0; i < n; ++i) {
        const int c = (unit[4 + i / 2] >> (4 * (i & 1))) & 15;
        const int sh = static_cast<int>(((meta >> (8 + i / 8)) & 1) + ((meta >> (16 + i / 4)) & 1));
        o[i] = kHif4SignedQ[c] * static_cast<float>(1 << sh) * s;
      }
    }
    return;
  }
  if (name == "hif8" && b.elementwise) {
    static const std::array<float, 256> table = [] {
      std::array<float, 256> t{};
      for (int c = 0; c < 256; ++c) t[c] = hif8_decode(static_cast<uint8_t>(c));
      return t;
    }();
    const uint8_t* codes = b.packed->data.data() + b.header_bytes;
    if (b.k_major) {
      for (int64_t i = 0; i < k; ++i) out[i] = table[codes[i * b.rows + row]];
    } else {
      for (int64_t i = 0; i < k; ++i) out[i] = table[codes[row * k + i]];
    }
    return;
  }
  b.decode_row(row, out);
}

}  // namespace hifloat::kernels
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_dense_gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The rule needs a fused multiply-add; other targets report "no fast path".
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || HWY_ARCH_ARM_A64
constexpr bool kGemmHasFma = true;
#else
constexpr bool kGemmHasFma = false;
#endif

using DG = hn::CappedTag<float, 16>;
using VG = hn::Vec<DG>;
constexpr int kL = static_cast<int>(hn::MaxLanes(DG()));
constexpr int kNV = 2;                   // vectors per tile row
constexpr int kNR = kNV * kL;            // output columns per tile
constexpr int kMR = kL >= 16 ? 8 : 6;    // output rows per tile (accumulators: kMR·kNV)

// One MR×NR tile: ap = A panel (Kp × MR, k' order), wp = W panel (Kp × NR).
// Writes rows × cols outputs to c (row stride ldc).
template <int MR>
HWY_INLINE void GemmTile(const float* HWY_RESTRICT ap, const float* HWY_RESTRICT wp, int64_t d_len,
                         float* HWY_RESTRICT c, int64_t ldc, int rows, int cols) {
  const DG d;
  alignas(64) float lanes[16][MR][kNR];
  for (int j = 0; j < 16; ++j) {
    VG acc[MR][kNV];
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < kNV; ++v) acc[i][v] = hn::Zero(d);
    const float* a = ap + j * d_len * MR;
    const float* w = wp + j * d_len * kNR;
    for (int64_t t = 0; t < d_len; ++t) {
      VG wv[kNV];
      for (int v = 0; v < kNV; ++v) wv[v] = hn::Load(d, w + t * kNR + v * kL);
      for (int i = 0; i < MR; ++i) {
        const VG av = hn::Set(d, a[t * MR + i]);
        for (int v = 0; v < kNV; ++v) acc[i][v] = hn::MulAdd(av, wv[v], acc[i][v]);
      }
    }
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < kNV; ++v) hn::Store(acc[i][v], d, &lanes[j][i][v * kL]);
  }
  // The halving tree of §2.2 (s_j += s_{j+8}, += s_{j+4}, += s_{j+2}, s_0 + s_1).
  for (int i = 0; i < rows; ++i) {
    alignas(64) float out[kNR];
    for (int v = 0; v < kNV; ++v) {
      VG s[16];
      for (int j = 0; j < 16; ++j) s[j] = hn::Load(d, &lanes[j][i][v * kL]);
      for (int width = 8; width >= 1; width /= 2)
        for (int j = 0; j < width; ++j) s[j] = hn::Add(s[j], s[j + width]);
      if (cols == kNR) {
        hn::StoreU(s[0], d, c + i * ldc + v * kL);
      } else {
        hn::Store(s[0], d, out + v * kL);
      }
    }
    if (cols != kNR) std::copy_n(out, cols, c + i * ldc);
  }
}

// Rows [r0, r1) of A (m×k, natural order) into MR-row panels, k' order, zero padded.
void PackA(const float* a, int64_t m, int64_t k, int64_t kp, int64_t p0, int64_t p1, float* ap) {
  const int64_t d_len = kp / 16;
  for (int64_t p = p0; p < p1; ++p) {
    float* dst = ap + p * kp * kMR;
    std::fill_n(dst, kp * kMR, 0.0f);
    for (int i = 0; i < kMR && p * kMR + i < m; ++i) {
      const float* src = a + (p * kMR + i) * k;
      for (int64_t kk = 0; kk < k; ++kk) dst[((kk & 15) * d_len + (kk >> 4)) * kMR + i] = src[kk];
    }
  }
}

bool DenseGemm(const float* a, int64_t m, const PackedLines* b, float* c, int threads) {
  if constexpr (!kGemmHasFma) {
    return false;
  } else {
    const int64_t n = b->rows, k = b->k;
    const int64_t kp = (k + 15) / 16 * 16, d_len = kp / 16;
    // Rows of A per pass: at most ~32 MiB of packed A (the weights are decoded
    // again for every pass, which costs ~1/mc of the FMAs).
    const int64_t mc = std::max<int64_t>(16 * kMR, (int64_t{1} << 23) / kp / kMR * kMR);
    const int64_t max_panels = (std::min(m, mc) + kMR - 1) / kMR;
    auto ap = hwy::AllocateAligned<float>(static_cast<size_t>(max_panels * kp * kMR));
    // Weight rows per decoded block: about 512 KiB of fp32 panels, at least 4 panels.
    const int64_t nc = std::max<int64_t>(4 * kNR, (int64_t{1} << 17) / kp / kNR * kNR);
    for (int64_t m0 = 0; m0 < m; m0 += mc) {
      const int64_t mb = std::min(mc, m - m0);
      const int64_t a_panels = (mb + kMR - 1) / kMR;
      const float* a0 = a + m0 * k;
      float* c0 = c + m0 * n;
      parallel_for(a_panels, threads, 1, [&](int64_t p0, int64_t p1) { PackA(a0, mb, k, kp, p0, p1, ap.get()); });
      parallel_for(n, threads, kNR, [&](int64_t n0, int64_t n1) {
        auto wp = hwy::AllocateAligned<float>(static_cast<size_t>(nc * kp));
        std::vector<float> line(static_cast<size_t>(k));
        for (int64_t j0 = n0; j0 < n1; j0 += nc) {
          const int64_t nb = std::min(nc, n1 - j0);
          const int64_t w_panels = (nb + kNR - 1) / kNR;
          std::fill_n(wp.get(), w_panels * kp * kNR, 0.0f);
          for (int64_t r = 0; r < nb; ++r) {
            decode_line_natural(*b, j0 + r, line.data());
            float* dst = wp.get() + (r / kNR) * kp * kNR + (r % kNR);
            for (int64_t kk = 0; kk < k; ++kk) dst[((kk & 15) * d_len + (kk >> 4)) * kNR] = line[kk];
          }
          for (int64_t p = 0; p < a_panels; ++p) {
            const int rows = static_cast<int>(std::min<int64_t>(kMR, mb - p * kMR));
            for (int64_t q = 0; q < w_panels; ++q) {
              const int cols = static_cast<int>(std::min<int64_t>(kNR, nb - q * kNR));
              GemmTile<kMR>(ap.get() + p * kp * kMR, wp.get() + q * kp * kNR, d_len, c0 + p * kMR * n + j0 + q * kNR,
                            n, rows, cols);
            }
          }
        }
      });
    }
    return true;
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(DenseGemm);

bool matmul_dense_gemm_fp32(const float* a, int64_t m, const PackedLines& b, float* c, int threads) {
  return HWY_DYNAMIC_DISPATCH(DenseGemm)(a, m, &b, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
