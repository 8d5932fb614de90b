// Packed × packed for one-byte elementwise formats (hif8, fp8_e4m3,
// fp8_e5m2), all three accumulations (docs/matmul.md §2, §3.2).
//
// Every finite HiF8 value is an integer multiple of 2^-22 below 2^16 with at
// most 4 significant bits (HIF8.md §1), so a product is a multiple of 2^-44
// with at most 8 significant bits, exact in fp64. (FP8: multiples of 2^-9
// resp. 2^-16 with ≤ 4 resp. 3 significant bits; below, 22 is the format's
// `frac_bits` and 44 twice that.) Whether a *sum* of such
// products is exact in fp64 depends on the spread of exponents: if every
// value of an A line lies in [2^bot_a, 2^(top_a+1)) as a multiple of
// 2^bot_a (span_a = top_a − bot_a), likewise for B, then every partial sum
// of n products is a multiple of 2^(bot_a+bot_b) below n·2^(top_a+top_b+2),
// which needs at most span_a + span_b + log2(n) + 2 bits. When that is ≤ 53
// the fp64 FMA chain is exact (each fma rounds an exactly representable
// value), and one conversion to fp32 is the single rounding the rules ask for.
// Non-finite products follow IEEE in fp64 exactly as §2.4 says (a finite
// partial sum never overflows fp64).
//
// Tiles (MR rows of A × NR columns of B) whose spans allow it take the fp64
// outer-product path; the others take an exact integer path: a product is
// (I_a·I_b)·2^-44 with I = x̂·2^22 (|I| < 2^38), summed in 128-bit integers.
//   fp32:       per block of 64 (fp64 when span_a + span_b ≤ 45), RN to fp32, acc += p in fp32.
//   exact:      the whole line in fp64 when span_a + span_b + ⌈log2 K⌉ + 2 ≤ 53 (spans over K), else int128.
//   fp32_trunc: per block, RZ32(acc + block sum), from the fp64 block sum by TwoSum, or in int128.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "hifloat/hif8.h"
#include "kernels/matmul_kernels.h"
#include "hwy/aligned_allocator.h"
#include "kernels/parallel_for.h"
#include "kernels/round_toward_zero.h"

#ifndef HIFLOAT_MATMUL_HIF8_PACKED_ONCE
#define HIFLOAT_MATMUL_HIF8_PACKED_ONCE
namespace hifloat::kernels {
namespace hif8mm {

constexpr int kBlock = 64;            // accumulation block of formats without blocks (docs/matmul.md §1)
constexpr int kEmptySpan = -1000;     // no finite non-zero value: any partner is exact
constexpr int kBlockSpanLimit = 45;   // 53 − log2(64) − 2

struct CodeInfo {
  double value;  // decoded value (exact)
  int top, bot;  // floor(log2|x|) and the exponent of its lowest set bit; finite non-zero only
  bool finite_nonzero;
};

// The 256 decoded values of a one-byte elementwise format, and frac_bits F:
// every finite value is an integer multiple of 2^-F (F = 22 for HiF8).
struct CodeTable {
  std::array<CodeInfo, 256> info{};
  int frac_bits = 0;
  bool usable = false;  // every value has ≤ 8 significant bits and |x|·2^F < 2^40
};

inline CodeTable make_code_table(const PackedLines& p) {
  CodeTable t;
  int min_bot = 1000, max_top = -1000;
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<uint8_t>(c);
    float v = 0;
    if (p.packed.format.name == "hif8") {
      v = hif8_decode(code);
    } else {
      p.codec->decode_block(&code, p.header(), std::span<float>(&v, 1));
    }
    CodeInfo& ci = t.info[c];
    ci.value = v;
    ci.finite_nonzero = std::isfinite(v) && v != 0;
    if (ci.finite_nonzero) {
      int e;
      const double fr = std::frexp(std::fabs(static_cast<double>(v)), &e);
      const auto mant = static_cast<uint64_t>(std::ldexp(fr, 53));  // exact
      ci.top = e - 1;
      ci.bot = e - 53 + std::countr_zero(mant);
      if (ci.top - ci.bot >= 8) return t;  // products would not be exact in fp64 / spans assume ≤ 8 bits
      min_bot = std::min(min_bot, ci.bot);
      max_top = std::max(max_top, ci.top);
    }
  }
  t.frac_bits = std::max(0, -min_bot);
  t.usable = max_top + t.frac_bits < 40;
  return t;
}

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// Exact block sum from decoded values (stride sa / sb), as an int128 in
// units of 2^-2F plus the IEEE sum of the non-finite products (0 if none).
struct ExactBlock {
  i128 fixed = 0;
  double special = 0;
};
inline void add_products(const double* a, int64_t sa, const double* b, int64_t sb, int64_t n, int frac_bits,
                         ExactBlock& e) {
  const double unit = std::ldexp(1.0, frac_bits);
  for (int64_t k = 0; k < n; ++k) {
    const double x = a[k * sa], y = b[k * sb];
    if (std::isfinite(x) && std::isfinite(y)) {
      // x·2^F and y·2^F are integers below 2^40 (exact conversions).
      e.fixed += static_cast<i128>(static_cast<int64_t>(x * unit)) * static_cast<int64_t>(y * unit);
    } else {
      e.special += x * y;  // NaN, ±Inf, or Inf·0 = NaN; §2.4
    }
  }
}

// RN32 of fixed·2^-s (one rounding: int128 → float is correctly rounded;
// scaling by 2^-s, s ≤ 80, stays in the normal range).
inline float round_fixed(i128 fixed, int s) { return std::ldexp(static_cast<float>(fixed), -s); }

// A float that is a multiple of 2^-s with |x| < 2^(126-s), as fixed point.
inline i128 to_fixed(float x, int s) {
  if (x == 0) return 0;
  int e;
  const double fr = std::frexp(std::fabs(static_cast<double>(x)), &e);
  const auto mant = static_cast<u128>(std::ldexp(fr, 24));  // exact, < 2^24
  const int sh = e - 24 + s;
  const auto mag = static_cast<i128>(sh >= 0 ? mant << sh : mant >> -sh);  // exact either way
  return x < 0 ? -mag : mag;
}

// RZ32(acc + block) for a finite acc and a finite exact block sum in fixed
// point (units 2^-s). acc is a multiple of 2^-s: it is a truncation or a
// rounding of such sums, all far above the subnormal range.
inline float add_fixed_toward_zero(float acc, i128 block, int s) {
  i128 t = to_fixed(acc, s) + block;
  const bool neg = t < 0;
  auto mag = static_cast<u128>(neg ? -t : t);
  const uint64_t hi = static_cast<uint64_t>(mag >> 64);
  const int bits = hi ? 128 - std::countl_zero(hi) : 64 - std::countl_zero(static_cast<uint64_t>(mag));
  if (bits > 24) mag = (mag >> (bits - 24)) << (bits - 24);  // truncate to 24 significant bits
  const float f = std::ldexp(static_cast<float>(mag), -s);     // exact
  return neg ? -f : f;
}

}  // namespace hif8mm
}  // namespace hifloat::kernels
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_hif8_packed.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/round_toward_zero-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using namespace hifloat::kernels::hif8mm;  // NOLINT

using DD = hn::CappedTag<double, 8>;
using VD = hn::Vec<DD>;
using DH = hn::Rebind<float, DD>;  // fp32 vector with the same lane count
constexpr int kL8 = static_cast<int>(hn::MaxLanes(DD()));
constexpr int kNV8 = 2;
constexpr int kNR8 = kNV8 * kL8;
constexpr int kMR8 = kL8 >= 8 ? 8 : 6;

// fp64 → fp32 with IEEE overflow to ±Inf (Highway's emulated DemoteTo on the
// SSE and scalar targets saturates to ±FLT_MAX instead).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
HWY_INLINE void StoreFp32(VD v, float* p) { hn::StoreU(hn::DemoteTo(DH(), v), DH(), p); }
HWY_INLINE void AddFp32(VD v, float* p) { hn::StoreU(hn::Add(hn::LoadU(DH(), p), hn::DemoteTo(DH(), v)), DH(), p); }
#else
HWY_INLINE void StoreFp32(VD v, float* p) {
  alignas(64) double t[kL8];
  hn::Store(v, DD(), t);
  for (int l = 0; l < kL8; ++l) p[l] = static_cast<float>(t[l]);
}
HWY_INLINE void AddFp32(VD v, float* p) {
  alignas(64) double t[kL8];
  hn::Store(v, DD(), t);
  for (int l = 0; l < kL8; ++l) p[l] = p[l] + static_cast<float>(t[l]);
}
#endif

struct Hif8Operands {
  const double* a;         // [a panel][kp][MR]
  int frac_bits;           // values are multiples of 2^-frac_bits
  const int* a_span;       // [a panel][block], max over the panel's rows
  const int* a_span_line;  // [a panel]: spans over all of K (exact mode)
  int64_t m, n, k, kp, blocks, a_panels;
  Accumulation mode;
};

// Exact block sums / whole lines for one tile, by fp64 (fast) or int128.
template <int MR>
void Hif8Tile(const Hif8Operands& op, const double* ap, const int* a_span, int a_span_line, const double* wp,
              const int* w_span, int w_span_line, float* c, int rows, int cols) {
  const DD d;
  const int64_t kp = op.kp;
  alignas(64) float acc32[MR][kNR8] = {};
  if (op.mode == Accumulation::kExact) {
    const int log2k = 64 - std::countl_zero(static_cast<uint64_t>((op.k - 1) | 1));
    if (a_span_line + w_span_line + log2k + 2 <= 53) {
      VD acc[MR][kNV8];
      for (int i = 0; i < MR; ++i)
        for (int v = 0; v < kNV8; ++v) acc[i][v] = hn::Zero(d);
      for (int64_t t = 0; t < kp; ++t) {
        VD wv[kNV8];
        for (int v = 0; v < kNV8; ++v) wv[v] = hn::Load(d, wp + t * kNR8 + v * kL8);
        for (int i = 0; i < MR; ++i) {
          const VD av = hn::Set(d, ap[t * MR + i]);
          for (int v = 0; v < kNV8; ++v) acc[i][v] = hn::MulAdd(av, wv[v], acc[i][v]);
        }
      }
      for (int i = 0; i < MR; ++i)
        for (int v = 0; v < kNV8; ++v) StoreFp32(acc[i][v], &acc32[i][v * kL8]);
    } else {
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
          ExactBlock e;
          add_products(ap + i, MR, wp + j, kNR8, kp, op.frac_bits, e);
          acc32[i][j] = e.special != 0 || std::isnan(e.special) ? static_cast<float>(e.special)
                                                                 : round_fixed(e.fixed, 2 * op.frac_bits);
        }
    }
  } else {
    for (int64_t b = 0; b < op.blocks; ++b) {
      const double* ab = ap + b * kBlock * MR;
      const double* wb = wp + b * kBlock * kNR8;
      if (a_span[b] + w_span[b] <= kBlockSpanLimit) {
        VD acc[MR][kNV8];
        for (int i = 0; i < MR; ++i)
          for (int v = 0; v < kNV8; ++v) acc[i][v] = hn::Zero(d);
        for (int t = 0; t < kBlock; ++t) {
          VD wv[kNV8];
          for (int v = 0; v < kNV8; ++v) wv[v] = hn::Load(d, wb + t * kNR8 + v * kL8);
          for (int i = 0; i < MR; ++i) {
            const VD av = hn::Set(d, ab[t * MR + i]);
            for (int v = 0; v < kNV8; ++v) acc[i][v] = hn::MulAdd(av, wv[v], acc[i][v]);
          }
        }
        if (op.mode == Accumulation::kFp32) {
          for (int i = 0; i < MR; ++i)
            for (int v = 0; v < kNV8; ++v) AddFp32(acc[i][v], &acc32[i][v * kL8]);
        } else {
          for (int i = 0; i < MR; ++i)
            for (int v = 0; v < kNV8; ++v) AddTruncFp32(d, acc[i][v], &acc32[i][v * kL8]);
        }
      } else {
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < cols; ++j) {
            ExactBlock e;
            add_products(ab + i, MR, wb + j, kNR8, kBlock, op.frac_bits, e);
            const bool special = e.special != 0 || std::isnan(e.special);
            float& acc = acc32[i][j];
            if (op.mode == Accumulation::kFp32) {
              acc = acc + (special ? static_cast<float>(e.special) : round_fixed(e.fixed, 2 * op.frac_bits));
            } else if (special || !std::isfinite(acc)) {
              acc = add_double_toward_zero(acc, special ? e.special : 0.0);  // IEEE with a non-finite operand
            } else {
              acc = add_fixed_toward_zero(acc, e.fixed, 2 * op.frac_bits);
            }
          }
      }
    }
  }
  for (int i = 0; i < rows; ++i) std::copy_n(acc32[i], cols, c + i * op.n);
}

// Decodes `count` lines into MR- or NR-wide panels ([kp][width] doubles, zero
// padded) and records the block spans of each line (max over the panel).
template <class Code>
void PackLines(const CodeTable& table, int64_t line0, int64_t count, int width, int64_t kp, int64_t k, int64_t blocks,
               Code&& code, double* panels, int* span, int* span_line) {
  const auto& tab = table.info;
  const int64_t npanels = (count + width - 1) / width;
  std::fill_n(panels, npanels * kp * width, 0.0);
  std::fill_n(span, npanels * blocks, kEmptySpan);
  std::fill_n(span_line, npanels, kEmptySpan);
  for (int64_t r = 0; r < count; ++r) {
    double* dst = panels + (r / width) * kp * width + (r % width);
    int* sp = span + (r / width) * blocks;
    int line_top = -1000, line_bot = 1000;
    for (int64_t b = 0; b < blocks; ++b) {
      int top = -1000, bot = 1000;
      for (int64_t kk = b * kBlock; kk < std::min(k, (b + 1) * kBlock); ++kk) {
        const CodeInfo& ci = tab[code(line0 + r, kk)];
        dst[kk * width] = ci.value;
        if (ci.finite_nonzero) {
          top = std::max(top, ci.top);
          bot = std::min(bot, ci.bot);
        }
      }
      if (top > -1000) sp[b] = std::max(sp[b], top - bot);
      line_top = std::max(line_top, top);
      line_bot = std::min(line_bot, bot);
    }
    if (line_top > -1000) span_line[r / width] = std::max(span_line[r / width], line_top - line_bot);
  }
}

bool Hif8Packed(const PackedLines* a, const PackedLines* b, const CodeTable* table, Accumulation mode, float* c,
                int threads) {
  const int64_t m = a->rows, n = b->rows, k = b->k;
  const int64_t blocks = (k + kBlock - 1) / kBlock, kp = blocks * kBlock;
  const uint8_t* acodes = a->packed.data.data() + a->header_bytes;
  const uint8_t* bcodes = b->packed.data.data() + b->header_bytes;
  // Rows of A per pass: at most ~32 MiB of fp64 panels (B is decoded again per pass).
  const int64_t mc = std::max<int64_t>(16 * kMR8, (int64_t{1} << 22) / kp / kMR8 * kMR8);
  const int64_t max_panels = (std::min(m, mc) + kMR8 - 1) / kMR8;
  auto ap = hwy::AllocateAligned<double>(static_cast<size_t>(max_panels * kp * kMR8));
  std::vector<int> a_span(static_cast<size_t>(max_panels * blocks)), a_span_line(static_cast<size_t>(max_panels));
  // Columns per decoded block of B: about 1 MiB of fp64 panels.
  const int64_t nc = std::max<int64_t>(kNR8, (int64_t{1} << 17) / kp / kNR8 * kNR8);
  for (int64_t m0 = 0; m0 < m; m0 += mc) {
    const int64_t mb = std::min(mc, m - m0);
    const int64_t a_panels = (mb + kMR8 - 1) / kMR8;
    parallel_for(a_panels, threads, 1, [&](int64_t p0, int64_t p1) {
      const int64_t r1 = std::min(mb, p1 * kMR8);
      PackLines(*table, m0 + p0 * kMR8, r1 - p0 * kMR8, kMR8, kp, k, blocks,
                [&](int64_t row, int64_t kk) { return acodes[row * k + kk]; }, ap.get() + p0 * kp * kMR8,
                a_span.data() + p0 * blocks, a_span_line.data() + p0);
    });
    const Hif8Operands op{ap.get(), table->frac_bits, a_span.data(), a_span_line.data(), mb, n, k, kp, blocks,
                          a_panels, mode};
    float* c0 = c + m0 * n;
    parallel_for(n, threads, kNR8, [&](int64_t n0, int64_t n1) {
      auto wp = hwy::AllocateAligned<double>(static_cast<size_t>(nc * kp));
      std::vector<int> w_span(static_cast<size_t>((nc / kNR8) * blocks)), w_span_line(static_cast<size_t>(nc / kNR8));
      for (int64_t j0 = n0; j0 < n1; j0 += nc) {
        const int64_t nb = std::min(nc, n1 - j0);
        const auto code = [&](int64_t col, int64_t kk) {
          return b->k_major ? bcodes[kk * n + col] : bcodes[col * k + kk];
        };
        PackLines(*table, j0, nb, kNR8, kp, k, blocks, code, wp.get(), w_span.data(), w_span_line.data());
        const int64_t w_panels = (nb + kNR8 - 1) / kNR8;
        for (int64_t p = 0; p < a_panels; ++p) {
          const int rows = static_cast<int>(std::min<int64_t>(kMR8, mb - p * kMR8));
          for (int64_t q = 0; q < w_panels; ++q) {
            const int cols = static_cast<int>(std::min<int64_t>(kNR8, nb - q * kNR8));
            Hif8Tile<kMR8>(op, ap.get() + p * kp * kMR8, a_span.data() + p * blocks, a_span_line[p],
                           wp.get() + q * kp * kNR8, w_span.data() + q * blocks, w_span_line[q],
                           c0 + p * kMR8 * n + j0 + q * kNR8, rows, cols);
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

HWY_EXPORT(Hif8Packed);

bool matmul_bytes_packed(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads) {
  if (!a.elementwise || !b.elementwise || a.k != b.k || a.header_bytes != 0 || b.header_bytes != 0) return false;
  if (a.record_bytes != 1 || b.record_bytes != 1) return false;
  if (a.packed.format.name != "hif8" && (!a.codec || !b.codec)) return false;
  // Same format and options on both sides (check_same_format), so one table serves both.
  const hif8mm::CodeTable table = hif8mm::make_code_table(b);
  if (!table.usable) return false;
  return HWY_DYNAMIC_DISPATCH(Hif8Packed)(&a, &b, &table, acc, c, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
