// Dense fp32 activations × packed weights in the accumulations kExact and
// kFp32Truncate (docs/matmul.md §2.1, §2.3, §3.3), for every weight format.
//
// Both rules need exact sums of products. A product a·ŵ of two fp32 values is
// exact in fp64 when the two together have at most 53 significant bits, and
// the weights of every format have few (HiF4 ≤ 6, HiF8 ≤ 4). Whether a *sum*
// of such products is exact in fp64 depends on the spread of exponents: if
// every non-zero value of a block of A lies below 2^(top_a+1) and is a multiple
// of 2^bot_a (likewise top_w, bot_w for the weights), the partial sums of the
// block's B products are multiples of 2^(bot_a+bot_w) below
// B·2^(top_a+top_w+2), which needs top_a + top_w + 2 + log2 B − bot_a − bot_w
// bits. When that is ≤ 53 the fp64 chain (FMA or not: every step is exact) is
// the exact block sum. The bounds are kept per block and per tile (max top,
// min bot over the tile's rows / columns), so one scalar test per tile and
// block picks the path.
//
//   fp32_trunc: acc = RZ32(acc + s_b) per accumulation block, from the exact
//               fp64 block sum s_b by TwoSum (round_toward_zero-inl.h).
//   exact:      the exact block sums (accumulation blocks again, any grouping
//               would do) scaled by 2^-L, L the tile's lowest possible bit,
//               are integers below 2^93; each is split into a high and a low
//               32-bit part, summed in int64 lanes, combined in int128 and
//               rounded once (int128 → float is correctly rounded, then an
//               exact scaling unless the result is subnormal).
// Blocks with a NaN/Inf value, or bounds that fail the test, take the scalar
// rule on that tile (ExactSum, exactly the reference's steps): the block for
// fp32_trunc, the whole tile for exact; so do exact outputs below 2^-126.
#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/exact_sum.h"
#include "hwy/aligned_allocator.h"
#include "kernels/matmul_kernels.h"
#include "kernels/parallel_for.h"

#ifndef HIFLOAT_MATMUL_DENSE_BLOCKSUM_ONCE
#define HIFLOAT_MATMUL_DENSE_BLOCKSUM_ONCE
namespace hifloat::kernels::blocksum {

// Exponent bounds of the finite non-zero values of a block (of one line or,
// merged, of a tile's lines): every such value lies below 2^(top+1) and is a
// multiple of 2^bot. `special`: the block holds a NaN or ±Inf.
struct Bounds {
  int16_t top = kNoTop;
  int16_t bot = kNoBot;
  uint8_t special = 0;
  static constexpr int16_t kNoTop = -2000, kNoBot = 2000;  // no finite non-zero value

  bool empty() const { return top == kNoTop; }
  void note(float x) {
    const uint32_t u = std::bit_cast<uint32_t>(x) & 0x7FFFFFFFu;
    if (u == 0) return;
    if (u >= 0x7F800000u) {
      special = 1;
      return;
    }
    const int be = static_cast<int>(u >> 23);
    const uint32_t mant = u & 0x7FFFFFu;
    // Normal: (2^23 + mant)·2^(be−150); subnormal: mant·2^-149.
    const int t = be ? be - 127 : 31 - std::countl_zero(mant) - 149;
    const int b = be ? be - 150 + std::countr_zero(mant | 0x800000u) : std::countr_zero(mant) - 149;
    top = static_cast<int16_t>(std::max<int>(top, t));
    bot = static_cast<int16_t>(std::min<int>(bot, b));
  }
  void merge(const Bounds& o) {
    top = std::max(top, o.top);
    bot = std::min(bot, o.bot);
    special |= o.special;
  }
};

// Whether the fp64 chain over a block of at most 2^log2_block products of values
// bounded by a and w is exact (see the top of the file).
inline bool block_sum_fits(const Bounds& a, const Bounds& w, int log2_block) {
  if (a.special || w.special) return false;
  if (a.empty() || w.empty()) return true;  // every product is zero
  return a.top + w.top + 2 + log2_block - (a.bot + w.bot) <= 53;
}

inline int ceil_log2(int64_t x) { return x <= 1 ? 0 : 64 - std::countl_zero(static_cast<uint64_t>(x - 1)); }

__extension__ typedef __int128 i128;

}  // namespace hifloat::kernels::blocksum
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_dense_blocksum.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/round_toward_zero-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using blocksum::Bounds;
using blocksum::i128;

using DD = hn::CappedTag<double, 8>;
using VD = hn::Vec<DD>;
using DI = hn::RebindToSigned<DD>;
using VI = hn::Vec<DI>;
constexpr int kL = static_cast<int>(hn::MaxLanes(DD()));
constexpr int kNV = 2;                  // vectors per tile row
constexpr int kNR = kNV * kL;           // output columns per tile
constexpr int kMR = kL >= 8 ? 8 : 6;    // output rows per tile (accumulators: kMR·kNV)

struct Operands {
  int64_t n, kp, block, blocks;
  int log2_block, log2_kp;
  Accumulation mode;
};

// s[i][v] = Σ_t a[t][i]·w[t][v·kL + lane] over `len` steps, in fp64 (exact
// when the block's bounds pass block_sum_fits). A panels hold kMR rows.
template <int MR>
HWY_INLINE void BlockSums(const double* HWY_RESTRICT ab, const double* HWY_RESTRICT wb, int64_t len, VD (&s)[MR][kNV]) {
  const DD d;
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < kNV; ++v) s[i][v] = hn::Zero(d);
  for (int64_t t = 0; t < len; ++t) {
    VD wv[kNV];
    for (int v = 0; v < kNV; ++v) wv[v] = hn::Load(d, wb + t * kNR + v * kL);
    for (int i = 0; i < MR; ++i) {
      const VD av = hn::Set(d, ab[t * kMR + i]);
      for (int v = 0; v < kNV; ++v) s[i][v] = hn::MulAdd(av, wv[v], s[i][v]);
    }
  }
}

// The reference's exact sum of products for output (i, j) of a tile over
// steps [t0, t1), added to e.
HWY_INLINE void AddProducts(const double* ap, const double* wp, int i, int j, int64_t t0, int64_t t1, ExactSum& e) {
  for (int64_t t = t0; t < t1; ++t)
    e.add_product(static_cast<float>(ap[t * kMR + i]), static_cast<float>(wp[t * kNR + j]));  // exact: fp32 values
}

// One MR×kNR tile: its A panel (kp × kMR) and W panel (kp × kNR), their
// bounds per block merged over the panel ([block]) and per line ([block][kMR]
// resp. [block][kNR]).
struct TileArgs {
  const double* ap;
  const Bounds* a_merged;
  const Bounds* a_rows;
  const double* wp;
  const Bounds* w_merged;
  const Bounds* w_cols;
  float* c;
  int rows, cols;
};

// Whether block b of output (i, j) has an exact fp64 sum.
HWY_INLINE bool PairFits(const Operands& op, const TileArgs& t, int64_t b, int i, int j) {
  return blocksum::block_sum_fits(t.a_rows[b * kMR + i], t.w_cols[b * kNR + j], op.log2_block);
}

// fp32_trunc (§2.3) for one tile: acc = RZ32(acc + block sum) per block; the
// outputs whose block bounds fail take the reference's step (ExactSum).
template <int MR>
void TileTrunc(const Operands& op, const TileArgs& t) {
  const DD d;
  alignas(64) float acc[MR][kNR] = {};
  alignas(64) float before[MR][kNR];
  for (int64_t b = 0; b < op.blocks; ++b) {
    const int64_t t0 = b * op.block;
    const bool all_fit = blocksum::block_sum_fits(t.a_merged[b], t.w_merged[b], op.log2_block);
    if (!all_fit) std::memcpy(before, acc, sizeof(before));
    VD s[MR][kNV];
    BlockSums<MR>(t.ap + t0 * kMR, t.wp + t0 * kNR, op.block, s);
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < kNV; ++v) AddTruncFp32(d, s[i][v], &acc[i][v * kL]);
    if (all_fit) continue;
    for (int i = 0; i < t.rows; ++i)
      for (int j = 0; j < t.cols; ++j) {
        if (PairFits(op, t, b, i, j)) continue;
        ExactSum e;
        e.add(before[i][j]);
        AddProducts(t.ap, t.wp, i, j, t0, t0 + op.block, e);
        acc[i][j] = e.round(RoundTo::kTowardZero);
      }
  }
  for (int i = 0; i < t.rows; ++i) std::copy_n(acc[i], t.cols, t.c + i * op.n);
}

// exact (§2.1) for one output by the scalar rule.
HWY_INLINE float ExactScalar(const Operands& op, const TileArgs& t, int i, int j) {
  ExactSum e;
  AddProducts(t.ap, t.wp, i, j, 0, op.kp, e);
  return e.round(RoundTo::kNearestEven);
}

// exact (§2.1) for one tile. The fp64 block sums that are exact go into the
// fixed-point lanes; the other (output, block) pairs into a per-output
// ExactSum, which takes the fixed-point part at the end.
template <int MR>
void TileExact(const Operands& op, const TileArgs& t, ExactSum (&slow)[kMR][kNR]) {
  // Lowest / highest possible bit of the fixed-point part: products are
  // multiples of 2^low below 2^(high+2), at most kp of them.
  int low = INT_MAX, high = INT_MIN;
  auto note = [&](const Bounds& A, const Bounds& W) {
    if (A.empty() || W.empty()) return;
    low = std::min(low, A.bot + W.bot);
    high = std::max(high, A.top + W.top);
  };
  bool any_slow = false;
  for (int64_t b = 0; b < op.blocks; ++b) {
    if (blocksum::block_sum_fits(t.a_merged[b], t.w_merged[b], op.log2_block)) {
      note(t.a_merged[b], t.w_merged[b]);
      continue;
    }
    any_slow = true;
    for (int i = 0; i < t.rows; ++i)
      for (int j = 0; j < t.cols; ++j)
        if (PairFits(op, t, b, i, j)) note(t.a_rows[b * kMR + i], t.w_cols[b * kNR + j]);
  }
  if (low == INT_MAX) low = high = 0;  // no fixed-point part
  if (high + 2 + op.log2_kp - low > 93) {  // the integers below would not fit in 2^93
    for (int i = 0; i < t.rows; ++i)
      for (int j = 0; j < t.cols; ++j) t.c[i * op.n + j] = ExactScalar(op, t, i, j);
    return;
  }
  bool used[kMR][kNR] = {};
  const DD d;
  const DI di;
  const VD scale = hn::Set(d, std::ldexp(1.0, -low));
  const VD two_m32 = hn::Set(d, 0x1p-32), two_32 = hn::Set(d, 0x1p32);
  VI hi[MR][kNV], lo[MR][kNV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < kNV; ++v) hi[i][v] = lo[i][v] = hn::Zero(di);
  for (int64_t b = 0; b < op.blocks; ++b) {
    const int64_t t0 = b * op.block;
    VD s[MR][kNV];
    BlockSums<MR>(t.ap + t0 * kMR, t.wp + t0 * kNR, op.block, s);
    if (any_slow && !blocksum::block_sum_fits(t.a_merged[b], t.w_merged[b], op.log2_block)) {
      // Pairs whose sum is not exact: zero lanes, products into ExactSum.
      // (Padding lanes too where they hold NaN, e.g. 0 · Inf: never converted.)
      alignas(64) double sl[MR][kNR];
      for (int i = 0; i < MR; ++i)
        for (int v = 0; v < kNV; ++v) hn::Store(s[i][v], d, &sl[i][v * kL]);
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < kNR; ++j) {
          if (PairFits(op, t, b, i, j)) continue;
          sl[i][j] = 0;
          if (i >= t.rows || j >= t.cols) continue;
          if (!used[i][j]) slow[i][j].clear();
          used[i][j] = true;
          AddProducts(t.ap, t.wp, i, j, t0, t0 + op.block, slow[i][j]);
        }
      for (int i = 0; i < MR; ++i)
        for (int v = 0; v < kNV; ++v) s[i][v] = hn::Load(d, &sl[i][v * kL]);
    }
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < kNV; ++v) {
        const VD x = hn::Mul(s[i][v], scale);                // an integer, |x| < 2^93 (exact)
        const VD h = hn::Floor(hn::Mul(x, two_m32));           // exact
        const VD l = hn::Sub(x, hn::Mul(h, two_32));           // in [0, 2^32), exact
        hi[i][v] = hn::Add(hi[i][v], hn::ConvertTo(di, h));  // |h| < 2^61
        lo[i][v] = hn::Add(lo[i][v], hn::ConvertTo(di, l));
      }
  }
  alignas(64) int64_t his[kL], los[kL];
  for (int i = 0; i < t.rows; ++i)
    for (int v = 0; v < kNV; ++v) {
      hn::Store(hi[i][v], di, his);
      hn::Store(lo[i][v], di, los);
      for (int l = 0; l < kL && v * kL + l < t.cols; ++l) {
        const int j = v * kL + l;
        float out = 0.0f;  // an exact zero sum is +0
        if (used[i][j]) {
          ExactSum& e = slow[i][j];
          e.add_scaled(his[l], low + 32);
          e.add_scaled(los[l], low);
          out = e.round(RoundTo::kNearestEven);
        } else if (const i128 sum = static_cast<i128>(his[l]) * (int64_t{1} << 32) + los[l]; sum != 0) {
          // One rounding to 24 bits, then an exact scaling by 2^low while the
          // result is a normal float (overflow gives ±Inf, as RNE does).
          const double r = std::ldexp(static_cast<double>(static_cast<float>(sum)), low);
          out = std::fabs(r) >= 0x1p-126 ? static_cast<float>(r) : ExactScalar(op, t, i, j);
        }
        t.c[i * op.n + j] = out;
      }
    }
}

// The exact mode's scalar (output, block) pairs of one tile.
struct SlowSums {
  ExactSum e[kMR][kNR];
};

template <int MR>
HWY_INLINE void Tile(const Operands& op, const TileArgs& t, ExactSum (&slow)[kMR][kNR]) {
  if (op.mode == Accumulation::kExact) {
    TileExact<MR>(op, t, slow);
  } else {
    TileTrunc<MR>(op, t);
  }
}

// Writes `count` lines (k values each, line r at rows + r·k) into `width`-wide
// panels ([kp][width] doubles, zero padded), their bounds per block and line
// (line_bounds: [panel][block][width]) and merged over each panel (merged:
// [panel][block]).
void PackPanels(int64_t count, int width, int64_t k, const Operands& op, const float* rows, double* panels,
                Bounds* merged, Bounds* line_bounds) {
  const int64_t npanels = (count + width - 1) / width;
  std::fill_n(panels, npanels * op.kp * width, 0.0);
  std::fill_n(merged, npanels * op.blocks, Bounds{});
  std::fill_n(line_bounds, npanels * op.blocks * width, Bounds{});
  for (int64_t r = 0; r < count; ++r) {
    const float* x = rows + r * k;
    const int64_t p = r / width;
    const int lane = static_cast<int>(r % width);
    double* dst = panels + p * op.kp * width + lane;
    for (int64_t b = 0; b < op.blocks; ++b) {
      Bounds& lb = line_bounds[(p * op.blocks + b) * width + lane];
      const int64_t end = std::min(k, (b + 1) * op.block);
      for (int64_t t = b * op.block; t < end; ++t) {
        dst[t * width] = x[t];
        lb.note(x[t]);
      }
      merged[p * op.blocks + b].merge(lb);
    }
  }
}

bool DenseBlockSum(const float* a, int64_t m, const PackedLines* b, Accumulation mode, float* c, int threads) {
  const int64_t n = b->rows, k = b->k;
  const int64_t block = accumulation_block(b->packed.format);
  if (block <= 0) return false;
  const int64_t blocks = (k + block - 1) / block, kp = blocks * block;
  const Operands op{n, kp, block, blocks, blocksum::ceil_log2(block), blocksum::ceil_log2(kp), mode};
  // Rows of A per pass: at most ~32 MiB of fp64 panels (the weights are decoded again per pass).
  const int64_t mc = std::max<int64_t>(16 * kMR, (int64_t{1} << 22) / kp / kMR * kMR);
  const int64_t max_panels = (std::min(m, mc) + kMR - 1) / kMR;
  auto ap = hwy::AllocateAligned<double>(static_cast<size_t>(max_panels * kp * kMR));
  std::vector<Bounds> a_merged(static_cast<size_t>(max_panels * blocks));
  std::vector<Bounds> a_rows(static_cast<size_t>(max_panels * blocks * kMR));
  // Weight lines per decoded batch: about 1 MiB of fp64 panels.
  const int64_t nc = std::max<int64_t>(kNR, (int64_t{1} << 17) / kp / kNR * kNR);
  for (int64_t m0 = 0; m0 < m; m0 += mc) {
    const int64_t mb = std::min(mc, m - m0);
    const int64_t a_panels = (mb + kMR - 1) / kMR;
    parallel_for(a_panels, threads, 1, [&](int64_t p0, int64_t p1) {
      const int64_t r1 = std::min(mb, p1 * kMR);
      PackPanels(r1 - p0 * kMR, kMR, k, op, a + (m0 + p0 * kMR) * k,
                 ap.get() + p0 * kp * kMR, a_merged.data() + p0 * blocks, a_rows.data() + p0 * blocks * kMR);
    });
    float* c0 = c + m0 * n;
    parallel_for(n, threads, kNR, [&](int64_t n0, int64_t n1) {
      auto wp = hwy::AllocateAligned<double>(static_cast<size_t>(nc * kp));
      std::vector<Bounds> w_merged(static_cast<size_t>((nc / kNR) * blocks));
      std::vector<Bounds> w_cols(static_cast<size_t>(nc * blocks));
      const auto slow = std::make_unique<SlowSums>();
      std::vector<float> lines(static_cast<size_t>(nc * k));
      for (int64_t j0 = n0; j0 < n1; j0 += nc) {
        const int64_t nb = std::min(nc, n1 - j0);
        decode_lines_natural(*b, j0, nb, lines.data(), k);
        PackPanels(nb, kNR, k, op, lines.data(), wp.get(), w_merged.data(), w_cols.data());
        const int64_t w_panels = (nb + kNR - 1) / kNR;
        for (int64_t p = 0; p < a_panels; ++p) {
          for (int64_t q = 0; q < w_panels; ++q) {
            const TileArgs t{ap.get() + p * kp * kMR,
                             a_merged.data() + p * blocks,
                             a_rows.data() + p * blocks * kMR,
                             wp.get() + q * kp * kNR,
                             w_merged.data() + q * blocks,
                             w_cols.data() + q * blocks * kNR,
                             c0 + p * kMR * n + j0 + q * kNR,
                             static_cast<int>(std::min<int64_t>(kMR, mb - p * kMR)),
                             static_cast<int>(std::min<int64_t>(kNR, nb - q * kNR))};
            if (t.rows == 1) {
              Tile<1>(op, t, slow->e);
            } else {
              Tile<kMR>(op, t, slow->e);
            }
          }
        }
      }
    });
  }
  return true;
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(DenseBlockSum);

bool matmul_dense_blocksum(const float* a, int64_t m, const PackedLines& b, Accumulation acc, float* c, int threads) {
  if (acc == Accumulation::kFp32) return false;
  return HWY_DYNAMIC_DISPATCH(DenseBlockSum)(a, m, &b, acc, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
