// Dense fp32 activations × packed weights, accumulation kFp32
// (docs/matmul.md §2.2: 16 FMA lanes along K, then the halving tree).
//
// GEMM: each thread decodes a panel of weight rows to fp32 (HiF4 in sigma
// order, see matmul_layout.h; other formats in natural order through their
// SIMD tensor decoders, matmul_decode.cc) and runs an MR×NR register tile of FMA chains over every
// row of A. GEMV (M = 1) with HiF4 weights decodes in registers and never
// stores the weights.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/matmul_kernels.h"
#include "kernels/matmul_layout.h"
#include "kernels/parallel_for.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_dense.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The rule needs a fused multiply-add; targets that would emulate it with two
// roundings report "no fast path".
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || HWY_ARCH_ARM_A64
constexpr bool kHasFma = true;
#else
constexpr bool kHasFma = false;
#endif

using D = hn::CappedTag<float, 16>;
using V = hn::Vec<D>;
constexpr size_t L = hn::MaxLanes(D());
constexpr size_t NV = 16 / L;  // vectors per 16-lane group

// The 16 values of HiF4 chunk t (elements 16t..16t+15) of `unit`, sigma order.
HWY_INLINE void DecodeHif4Chunk(const uint8_t* unit, uint32_t meta, int t, V s4, V* w) {
  const D d;
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  const hn::Rebind<uint8_t, decltype(du)> d8;
  const uint32_t idx = ((meta >> (16 + 4 * t)) & 15u) | (((meta >> (8 + 2 * t)) & 3u) << 4);
  const float* pattern = hif4_shift_patterns().v[idx];
  const uint8_t* bytes = unit + 4 + 8 * t;
  for (size_t v = 0; v < NV; ++v) {
    hn::Vec<decltype(du)> codes;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    static_assert(L == 16);
    {
      // Lanes 0..7: low nibbles of the 8 bytes; lanes 8..15: high nibbles.
      alignas(64) static constexpr uint32_t kShift[16] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4};
      uint64_t word;
      std::memcpy(&word, bytes, 8);
      const hn::Repartition<uint64_t, decltype(d8)> d64;
      const auto b = hn::BitCast(d8, hn::Set(d64, word));
      codes = hn::And(hn::Shr(hn::PromoteTo(du, b), hn::Load(du, kShift)), hn::Set(du, 15));
      // E1M2 code -> ±q in one 16-entry table lookup.
      const V q = hn::TableLookupLanes(hn::Load(d, kHif4SignedQ), hn::IndicesFromVec(d, hn::BitCast(di, codes)));
      w[v] = hn::Mul(q, hn::Mul(hn::LoadU(d, pattern + v * L), s4));
      continue;
    }
#else
    static_assert(L <= 8, "a 16-lane target needs its own nibble unpacking");
    {
      const size_t p0 = v * L;
      const auto raw = hn::PromoteTo(du, hn::LoadU(d8, bytes + (p0 % 8)));
      codes = hn::And(p0 >= 8 ? hn::ShiftRight<4>(raw) : raw, hn::Set(du, 15));
    }
#endif
    const V mag = hn::ConvertTo(d, hn::BitCast(di, hn::And(codes, hn::Set(du, 7))));
    const V sign = hn::BitCast(d, hn::ShiftLeft<28>(hn::And(codes, hn::Set(du, 8))));
    // ±q · (2^sh · S/4): both factors exact, product ≤ 6 significant bits: exact.
    w[v] = hn::Mul(hn::Or(mag, sign), hn::Mul(hn::LoadU(d, pattern + v * L), s4));
  }
}

HWY_INLINE uint32_t Meta(const uint8_t* unit) {
  return uint32_t{unit[0]} | (uint32_t{unit[1]} << 8) | (uint32_t{unit[2]} << 16) | (uint32_t{unit[3]} << 24);
}

// Decodes `count` HiF4 lines (records of `units` units each, lines `line_bytes`
// apart) to fp32 in sigma order, `kp` values per line, line stride `ld`.
void DecodeHif4Lines(const uint8_t* first, size_t line_bytes, int64_t units, int64_t count, int64_t kp, float* out,
                     int64_t ld) {
  const D d;
  const auto& s4 = hif4_quarter_scales();
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* line = first + static_cast<size_t>(r) * line_bytes;
    float* o = out + r * ld;
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t* unit = line + 36 * u;
      const uint32_t meta = Meta(unit);
      const V sv = hn::Set(d, s4[meta & 0xFF]);
      for (int t = 0; t < 4 && 64 * u + 16 * t < kp; ++t) {
        V w[NV];
        DecodeHif4Chunk(unit, meta, t, sv, w);
        for (size_t v = 0; v < NV; ++v) hn::StoreU(w[v], d, o + 64 * u + 16 * t + v * L);
      }
    }
  }
}

// MR×NR outputs: A rows a[i*lda], weight rows w[j*ldw], both with their 16-value
// chunks in the lane order SlotOf (sigma for HiF4, natural for the other
// formats) and zero-padded to kp (a multiple of 16). Writes the finished outputs.
template <int MR, int NR, int (*SlotOf)(int)>
HWY_INLINE void Tile(const float* a, int64_t lda, const float* w, int64_t ldw, int64_t kp, float* c, int64_t ldc,
                     int nr_valid) {
  const D d;
  V acc[MR][NR][NV];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      for (size_t v = 0; v < NV; ++v) acc[i][j][v] = hn::Zero(d);
  for (int64_t k = 0; k < kp; k += 16) {
    for (size_t v = 0; v < NV; ++v) {
      V wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = hn::LoadU(d, w + j * ldw + k + v * L);
      for (int i = 0; i < MR; ++i) {
        const V av = hn::LoadU(d, a + i * lda + k + v * L);
        for (int j = 0; j < NR; ++j) acc[i][j][v] = hn::MulAdd(av, wv[j], acc[i][j][v]);
      }
    }
  }
  alignas(64) float lanes[16];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < nr_valid; ++j) {
      for (size_t v = 0; v < NV; ++v) hn::StoreU(acc[i][j][v], d, lanes + v * L);
      c[i * ldc + j] = lane_tree_of<SlotOf>(lanes);
    }
}

constexpr int kMR = L >= 16 ? 4 : 2;
constexpr int kNR = L >= 16 ? 4 : 3;
constexpr int kGemvRows = 8;

// Rows [n0, n1) of C for all m; `decode(row, count, out, ld)` fills a panel.
template <int (*SlotOf)(int), class Decode>
void GemmRange(const float* a, int64_t m, int64_t kp, int64_t n, int64_t n0, int64_t n1, float* c, Decode&& decode) {
  const int64_t nb_max = m == 1 ? 64 : std::max<int64_t>(kNR, ((1 << 19) / (4 * kp)) / kNR * kNR);
  std::vector<float> panel(static_cast<size_t>((nb_max + kGemvRows) * kp));
  for (int64_t j0 = n0; j0 < n1; j0 += nb_max) {
    const int64_t nb = std::min(nb_max, n1 - j0);
    decode(j0, nb, panel.data(), kp);
    const int nr = m == 1 ? kGemvRows : kNR;
    const int64_t nb_pad = (nb + nr - 1) / nr * nr;
    std::fill(panel.begin() + nb * kp, panel.begin() + nb_pad * kp, 0.0f);
    int64_t i = 0;
    if (m > 1) {
      for (; i + kMR <= m; i += kMR)
        for (int64_t j = 0; j < nb; j += kNR)
          Tile<kMR, kNR, SlotOf>(a + i * kp, kp, panel.data() + j * kp, kp, kp, c + i * n + j0 + j, n,
                         static_cast<int>(std::min<int64_t>(kNR, nb - j)));
      for (; i < m; ++i)
        for (int64_t j = 0; j < nb; j += kNR)
          Tile<1, kNR, SlotOf>(a + i * kp, kp, panel.data() + j * kp, kp, kp, c + i * n + j0 + j, n,
                       static_cast<int>(std::min<int64_t>(kNR, nb - j)));
    } else {
      for (int64_t j = 0; j < nb; j += kGemvRows)
        Tile<1, kGemvRows, SlotOf>(a, kp, panel.data() + j * kp, kp, kp, c + j0 + j, n,
                           static_cast<int>(std::min<int64_t>(kGemvRows, nb - j)));
    }
  }
}

// GEMV with HiF4 weights: decode each chunk in registers, 4 rows at a time.
template <int R>
HWY_INLINE void GemvHif4Rows(const float* a, int64_t kp, const uint8_t* first, size_t line_bytes, int64_t units,
                             float* c) {
  const D d;
  const auto& s4 = hif4_quarter_scales();
  V acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (size_t v = 0; v < NV; ++v) acc[r][v] = hn::Zero(d);
  for (int64_t u = 0; u < units; ++u) {
    uint32_t meta[R];
    V sv[R];
    for (int r = 0; r < R; ++r) {
      meta[r] = Meta(first + r * line_bytes + 36 * u);
      sv[r] = hn::Set(d, s4[meta[r] & 0xFF]);
    }
    for (int t = 0; t < 4 && 64 * u + 16 * t < kp; ++t) {
      V av[NV];
      for (size_t v = 0; v < NV; ++v) av[v] = hn::LoadU(d, a + 64 * u + 16 * t + v * L);
      for (int r = 0; r < R; ++r) {
        V w[NV];
        DecodeHif4Chunk(first + r * line_bytes + 36 * u, meta[r], t, sv[r], w);
        for (size_t v = 0; v < NV; ++v) acc[r][v] = hn::MulAdd(av[v], w[v], acc[r][v]);
      }
    }
  }
  alignas(64) float lanes[16];
  for (int r = 0; r < R; ++r) {
    for (size_t v = 0; v < NV; ++v) hn::StoreU(acc[r][v], d, lanes + v * L);
    c[r] = lane_tree(lanes);
  }
}

// a: the m rows of A zero-padded to kp, each 16-value chunk in sigma order for
// HiF4 weights (their register decoder's order) and natural order otherwise.
bool DenseFp32(const float* a, int64_t m, int64_t kp, const PackedLines* b, float* c, int threads) {
  if constexpr (!kHasFma) {
    return false;
  } else {
    const int64_t n = b->rows;
    const bool hif4 = b->packed.format.name == "hif4";
    const size_t line_bytes = static_cast<size_t>(b->blocks_per_row) * b->record_bytes;
    if (hif4 && m == 1) {
      parallel_for(n, threads, 64, [&](int64_t n0, int64_t n1) {
        int64_t j = n0;
        for (; j + 4 <= n1; j += 4)
          GemvHif4Rows<4>(a, kp, b->record(j, 0), line_bytes, b->blocks_per_row, c + j);
        for (; j < n1; ++j) GemvHif4Rows<1>(a, kp, b->record(j, 0), line_bytes, b->blocks_per_row, c + j);
      });
      return true;
    }
    parallel_for(n, threads, 64, [&](int64_t n0, int64_t n1) {
      if (hif4) {
        GemmRange<sigma>(a, m, kp, n, n0, n1, c, [&](int64_t row, int64_t count, float* out, int64_t ld) {
          DecodeHif4Lines(b->record(row, 0), line_bytes, b->blocks_per_row, count, kp, out, ld);
        });
      } else {
        GemmRange<natural_slot>(a, m, kp, n, n0, n1, c, [&](int64_t row, int64_t count, float* out, int64_t ld) {
          decode_lines_natural(*b, row, count, out, ld);
          for (int64_t r = 0; r < count; ++r) std::fill(out + r * ld + b->k, out + r * ld + kp, 0.0f);
        });
      }
    });
    return true;
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(DenseFp32);

namespace {

// Copies a 16-value chunk into sigma order.
void to_sigma(const float* in, int64_t valid, float* out) {
  for (int j = 0; j < 16; ++j) out[sigma(j)] = j < valid ? in[j] : 0.0f;
}

}  // namespace

bool matmul_dense_fp32(const float* a, int64_t m, const PackedLines& b, float* c, int threads) {
  if (gemv_hif4(a, m, b, c, threads)) return true;
  if (m >= kGemmMinRows && matmul_dense_gemm_fp32(a, m, b, c, threads)) return true;
  const int64_t k = b.k;
  const int64_t kp = (k + 15) / 16 * 16;
  // A in the lane order of the weight panels (DenseFp32), zero-padded to kp.
  const bool hif4 = b.packed.format.name == "hif4";
  std::vector<float> a_lanes(static_cast<size_t>(m * kp), 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    if (!hif4) {
      std::copy_n(a + i * k, k, a_lanes.data() + i * kp);
      continue;
    }
    for (int64_t c0 = 0; c0 < k; c0 += 16)
      to_sigma(a + i * k + c0, std::min<int64_t>(16, k - c0), a_lanes.data() + i * kp + c0);
  }
  return HWY_DYNAMIC_DISPATCH(DenseFp32)(a_lanes.data(), m, kp, &b, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
