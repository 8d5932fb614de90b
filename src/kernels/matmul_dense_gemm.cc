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
#include <vector>

#include "kernels/matmul_kernels.h"
#include "kernels/matmul_layout.h"
#include "hwy/aligned_allocator.h"
#include "kernels/parallel_for.h"

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

// The kL×kL block src[i·lds + j] to dst[j·ldd + i] (i, j < kL), for the 16×16
// (AVX-512) and 8×8 (AVX2) vectors. The first two stages work inside 128-bit
// blocks and are Highway's interleaves; the last moves whole blocks, which
// Highway 1.0.3 cannot express for both widths, so it is the target's
// intrinsic (as gemv_hif4.cc does). Other targets use PackWPanel's scalar loop.
#if HWY_ARCH_X86 && (HWY_TARGET <= HWY_AVX3 || HWY_TARGET == HWY_AVX2)
constexpr bool kHasTranspose = true;
HWY_INLINE void TransposeBlock(const float* src, int64_t lds, float* dst, int64_t ldd) {
  const DG d;
  const hn::Repartition<uint64_t, DG> d64;
  VG r[kL], a[kL], b[kL];
  for (int i = 0; i < kL; ++i) r[i] = hn::LoadU(d, src + i * lds);
  // a[2i], block q: rows 2i, 2i+1 at columns 4q, 4q+1; a[2i+1]: at 4q+2, 4q+3.
  for (int i = 0; i < kL / 2; ++i) {
    a[2 * i] = hn::InterleaveLower(d, r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = hn::InterleaveUpper(d, r[2 * i], r[2 * i + 1]);
  }
  // b[4g+c], block q: column 4q+c of rows 4g..4g+3.
  const auto pairs = [&](VG x, VG y, bool upper) {
    const auto x64 = hn::BitCast(d64, x), y64 = hn::BitCast(d64, y);
    return hn::BitCast(d, upper ? hn::InterleaveUpper(d64, x64, y64) : hn::InterleaveLower(d64, x64, y64));
  };
  for (int g = 0; g < kL / 4; ++g) {
    b[4 * g + 0] = pairs(a[4 * g], a[4 * g + 2], false);
    b[4 * g + 1] = pairs(a[4 * g], a[4 * g + 2], true);
    b[4 * g + 2] = pairs(a[4 * g + 1], a[4 * g + 3], false);
    b[4 * g + 3] = pairs(a[4 * g + 1], a[4 * g + 3], true);
  }
  // Column 4q+c gathers block q of b[c], b[4+c], … (one vector per row group).
  for (int c = 0; c < 4; ++c) {
#if HWY_TARGET <= HWY_AVX3
    const __m512 e0 = _mm512_shuffle_f32x4(b[c].raw, b[4 + c].raw, 0x44);  // b[c].0 b[c].1 b[4+c].0 b[4+c].1
    const __m512 e1 = _mm512_shuffle_f32x4(b[8 + c].raw, b[12 + c].raw, 0x44);
    const __m512 e2 = _mm512_shuffle_f32x4(b[c].raw, b[4 + c].raw, 0xEE);  // blocks 2, 3
    const __m512 e3 = _mm512_shuffle_f32x4(b[8 + c].raw, b[12 + c].raw, 0xEE);
    _mm512_storeu_ps(dst + (0 + c) * ldd, _mm512_shuffle_f32x4(e0, e1, 0x88));
    _mm512_storeu_ps(dst + (4 + c) * ldd, _mm512_shuffle_f32x4(e0, e1, 0xDD));
    _mm512_storeu_ps(dst + (8 + c) * ldd, _mm512_shuffle_f32x4(e2, e3, 0x88));
    _mm512_storeu_ps(dst + (12 + c) * ldd, _mm512_shuffle_f32x4(e2, e3, 0xDD));
#else
    _mm256_storeu_ps(dst + c * ldd, _mm256_permute2f128_ps(b[c].raw, b[4 + c].raw, 0x20));
    _mm256_storeu_ps(dst + (4 + c) * ldd, _mm256_permute2f128_ps(b[c].raw, b[4 + c].raw, 0x31));
#endif
  }
}
#else
constexpr bool kHasTranspose = false;
HWY_INLINE void TransposeBlock(const float*, int64_t, float*, int64_t) {}
#endif

// `cols` decoded weight lines (natural order, row stride k) into one W panel
// (Kp × NR, k' order), zero for k ≥ K and for columns past `cols`. Full
// chunks of a full panel go through kL×kL transposes; the rest element by element.
void PackWPanel(const float* lines, int64_t cols, int64_t k, int64_t d_len, float* HWY_RESTRICT wp) {
  static_assert(kNR % kL == 0 && 16 % kL == 0, "the panel splits into kL x kL blocks");
  alignas(64) float tile[kNR][16];
  for (int64_t t = 0; t < d_len; ++t) {
    const int64_t k0 = 16 * t, valid = std::min<int64_t>(16, k - k0);
    if (kHasTranspose && cols == kNR && valid == 16) {
      for (int cg = 0; cg < kNR; cg += kL)
        for (int jb = 0; jb < 16; jb += kL)
          TransposeBlock(lines + cg * k + k0 + jb, k, wp + (jb * d_len + t) * kNR + cg, d_len * kNR);
      continue;
    }
    for (int64_t col = 0; col < kNR; ++col) {
      int64_t j = 0;
      if (col < cols)
        for (; j < valid; ++j) tile[col][j] = lines[col * k + k0 + j];
      for (; j < 16; ++j) tile[col][j] = 0.0f;
    }
    for (int j = 0; j < 16; ++j) {
      float* o = wp + (j * d_len + t) * kNR;
      for (int col = 0; col < kNR; ++col) o[col] = tile[col][j];
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
        std::vector<float> lines(static_cast<size_t>(kNR * k));
        for (int64_t j0 = n0; j0 < n1; j0 += nc) {
          const int64_t nb = std::min(nc, n1 - j0);
          const int64_t w_panels = (nb + kNR - 1) / kNR;
          for (int64_t q = 0; q < w_panels; ++q) {
            const int64_t cols = std::min<int64_t>(kNR, nb - q * kNR);
            decode_lines_natural(*b, j0 + q * kNR, cols, lines.data(), k);
            PackWPanel(lines.data(), cols, k, d_len, wp.get() + q * kp * kNR);
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
