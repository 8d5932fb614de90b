// HiFloat4 family encode / decode / fake-quant kernels (spec/HIF4.md),
// compiled once per Highway target and dispatched at run time.
//
// The arithmetic is the spec's §5 step by step; every RN32 step is one fp32
// vector operation (the project compiles with -ffp-contract=off), the rest is
// integer work on fp32 bit patterns:
//   - maxima are integer maxima of |x| bit patterns (non-negative floats order
//     like their bits, and a NaN pattern is above +Inf, so "M > 0x7F800000"
//     is "the unit holds a NaN", §4.1);
//   - t0 = RN32(M * bf16(1/7)); RNbf16 and the E6M2 rounding are the bit
//     recipes of §9; R = RNbf16(RN32(1/S)) = r[f] * 2^-E (§5 step 6) is the
//     table r[f] with E subtracted from its exponent field;
//   - flags use RN32(m8*R) = max(RN32(m4*R), ...) (rounding is monotone) and
//     the equivalent form of step 8, RN32(m4*R) >= 2^(1+b8);
//   - elements use step 9's equivalent form t = RN32(a*R) * 2^(m-1-sh) (the
//     second product is exact, or tiny/huge enough that q is 0/saturated
//     either way), then floor(RN32(t + 0.5)) (away: a real fp32 add, which
//     gives the 0x3EFFFFFF artefact), Round (even), or floor(t + u) decided in
//     integers (stochastic: k + floor(frac(t) * 2^24) >= 2^24).
//
// Two layouts:
//   - last axis (inner == 1): LoadInterleaved4 puts element j of 4-group g in
//     lane g of vector j, so one 16-lane vector is one unit's 4-groups. The
//     per-unit scale and flags are computed for 16 units at once (one unit
//     per lane) from their 4-group maxima.
//   - other axes (inner > 1): one lane is one line (adjacent columns of a
//     row), so everything is lane-wise; the packed words of each lane's unit
//     are transposed out through a small buffer.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hif4_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "kernels/hif4_kernels.h"
#include "kernels/philox-inl.h"

#ifndef HIFLOAT_KERNELS_HIF4_ONCE_
#define HIFLOAT_KERNELS_HIF4_ONCE_
namespace hifloat::kernels::hif4_detail {
static_assert(std::endian::native == std::endian::little, "packed words are written as little-endian uint32");
// The tensor as (outer, L, inner), U = ceil(L / 64) units per line.
struct Geo {
  int64_t outer, L, inner, U;
};
constexpr int kUnit = 64;
struct Hif4Params {
  int m;
  Hif4Mode rounding;
  uint64_t seed;
};
constexpr int64_t kBatch = 16;       // units per metadata batch (last-axis layout)
constexpr int64_t kColBlock = 64;    // columns per work item (strided layout)
constexpr int64_t kBand = 4;         // units per band of rows (strided layout)
}  // namespace hifloat::kernels::hif4_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hif4_impl {
namespace hn = hwy::HWY_NAMESPACE;
using hif4_detail::Geo;
using hif4_detail::Hif4Params;
using hif4_detail::kBatch;
using hif4_detail::kBand;
using hif4_detail::kColBlock;
using hif4_detail::kUnit;

using D = hn::CappedTag<int32_t, 16>;  // at most one unit's sixteen 4-groups per vector
using V = hn::Vec<D>;
using DU = hn::RebindToUnsigned<D>;
using VU = hn::Vec<DU>;
using DF = hn::RebindToFloat<D>;
using VF = hn::Vec<DF>;
constexpr size_t kMaxLanes = 16;

// ---------------------------------------------------------------- scale and flags

// §5 steps 2-8 for one unit per lane, from its sixteen 4-group maxima (|x|
// bit patterns). meta = the packed metadata word (0xFF for NaN units),
// R = the reciprocal (float bits), sh[g] = b8[g>>1] + b4[g].
struct Meta {
  V meta, R, S;
  V sh[16];
};

HWY_INLINE Meta UnitMeta(D d, const V* m4) {
  const DF df;
  V M = m4[0];
  for (int g = 1; g < 16; ++g) M = hn::Max(M, m4[g]);
  const auto nan = hn::Gt(M, hn::Set(d, 0x7F800000));
  const V one = hn::Set(d, 1);
  // Step 3: t0 = RN32(M * bf16(1/7)).
  const V t0 = hn::BitCast(d, hn::Mul(hn::BitCast(df, M), hn::Set(df, 0.142578125f)));
  // Step 4: RNbf16, then the clamp to [2^-48, 49152].
  const V t1 = hn::And(hn::Add(hn::Add(t0, hn::Set(d, 0x7FFF)), hn::And(hn::ShiftRight<16>(t0), one)),
                       hn::Set(d, static_cast<int32_t>(0xFFFF0000u)));
  const V t = hn::Min(hn::Max(t1, hn::Set(d, 0x27800000)), hn::Set(d, 0x47400000));
  // Step 5: E6M2, ties to even (§9 recipe); S = the rounded pattern.
  const V S = hn::And(hn::Add(hn::Add(t, hn::Set(d, 0xFFFFF)), hn::And(hn::ShiftRight<21>(t), one)),
                      hn::Set(d, static_cast<int32_t>(0xFFE00000u)));
  const V code = hn::Sub(hn::ShiftRight<21>(S), hn::Set(d, 316));  // ((E + 48) << 2) | f
  const V f = hn::And(hn::ShiftRight<21>(S), hn::Set(d, 3));
  // Step 6: R = r[f] * 2^-E.
  V r = hn::Set(d, 0x3F800000);
  r = hn::IfThenElse(hn::Eq(f, one), hn::Set(d, 0x3F4D0000), r);
  r = hn::IfThenElse(hn::Eq(f, hn::Set(d, 2)), hn::Set(d, 0x3F2B0000), r);
  r = hn::IfThenElse(hn::Eq(f, hn::Set(d, 3)), hn::Set(d, 0x3F120000), r);
  const V E = hn::Sub(hn::ShiftRight<23>(S), hn::Set(d, 127));
  Meta out;
  out.R = hn::Sub(r, hn::ShiftLeft<23>(E));
  out.S = S;
  // Steps 7-8.
  const VF Rf = hn::BitCast(df, out.R);
  V meta = code;
  for (int k = 0; k < 8; ++k) {
    const VF pa = hn::Mul(hn::BitCast(df, m4[2 * k]), Rf);  // RN32(m4 * R)
    const VF pb = hn::Mul(hn::BitCast(df, m4[2 * k + 1]), Rf);
    const auto b8f = hn::Ge(hn::Max(pa, pb), hn::Set(df, 4.0f));  // RN32(m8 * R) >= 4
    const auto b8 = hn::RebindMask(d, b8f);
    meta = hn::Or(meta, hn::IfThenElseZero(b8, hn::Set(d, 1 << (8 + k))));
    const VF thr = hn::IfThenElse(b8f, hn::Set(df, 4.0f), hn::Set(df, 2.0f));  // 2^(1 + b8)
    const auto b4a = hn::RebindMask(d, hn::Ge(pa, thr));
    const auto b4b = hn::RebindMask(d, hn::Ge(pb, thr));
    meta = hn::Or(meta, hn::IfThenElseZero(b4a, hn::Set(d, static_cast<int32_t>(1u << (16 + 2 * k)))));
    meta = hn::Or(meta, hn::IfThenElseZero(b4b, hn::Set(d, static_cast<int32_t>(1u << (17 + 2 * k)))));
    const V b8v = hn::IfThenElseZero(b8, one);
    out.sh[2 * k] = hn::Add(b8v, hn::IfThenElseZero(b4a, one));
    out.sh[2 * k + 1] = hn::Add(b8v, hn::IfThenElseZero(b4b, one));
  }
  out.meta = hn::IfThenElse(nan, hn::Set(d, 0xFF), meta);  // §4.1: NaN unit
  return out;
}

// ---------------------------------------------------------------- elements

// Step 9 (and §5.1): the magnitude q of |x| bits `a` with shift sh.
template <Hif4Mode kMode, int kM>
HWY_INLINE V Magnitude(D d, V a, VF Rf, V sh, V draw) {
  const DF df;
  const V mult = hn::ShiftLeft<23>(hn::Sub(hn::Set(d, 127 + kM - 1), sh));  // 2^(m-1-sh)
  const VF t = hn::Mul(hn::Mul(hn::BitCast(df, a), Rf), hn::BitCast(df, mult));
  const VF cap = hn::Set(df, 16.0f);  // above every 2^m - 1; keeps conversions in range (and +Inf)
  V q;
  if constexpr (kMode == Hif4Mode::kAway) {
    q = hn::ConvertTo(d, hn::Min(hn::Add(t, hn::Set(df, 0.5f)), cap));  // floor(RN32(t + 0.5)), >= 0.5
  } else if constexpr (kMode == Hif4Mode::kEven) {
    // Nearest, ties to even, exactly (frac = t - floor(t) is exact). Not
    // hn::Round: its scalar version rounds 0.5 - 2^-25 up.
    const VF tc = hn::Min(t, cap);
    const VF fl = hn::Floor(tc);
    const VF frac = hn::Sub(tc, fl);
    const V fi = hn::ConvertTo(d, fl);
    const auto odd = hn::RebindMask(df, hn::Eq(hn::And(fi, hn::Set(d, 1)), hn::Set(d, 1)));
    const auto up = hn::Or(hn::Gt(frac, hn::Set(df, 0.5f)), hn::And(hn::Eq(frac, hn::Set(df, 0.5f)), odd));
    q = hn::Add(fi, hn::IfThenElseZero(hn::RebindMask(d, up), hn::Set(d, 1)));
  } else {
    // floor(t + k/2^24) = floor(t) + (k + floor(frac(t) * 2^24) >= 2^24), exactly.
    const VF tc = hn::Min(t, cap);
    const VF fl = hn::Floor(tc);
    const V fi = hn::ConvertTo(d, hn::Floor(hn::Mul(hn::Sub(tc, fl), hn::Set(df, 16777216.0f))));
    const auto up = hn::Not(hn::Lt(hn::Add(draw, fi), hn::Set(d, 1 << 24)));
    q = hn::Add(hn::ConvertTo(d, fl), hn::IfThenElseZero(up, hn::Set(d, 1)));
  }
  return hn::Min(q, hn::Set(d, (1 << kM) - 1));
}

// §3: the value (-1)^s * q * 2^(sh - (m-1)) * S, exact.
template <int kM>
HWY_INLINE V ElementValue(D d, V q, V sign, V S, V sh) {
  const DF df;
  const V scale = hn::Add(S, hn::ShiftLeft<23>(hn::Sub(sh, hn::Set(d, kM - 1))));
  return hn::Or(hn::BitCast(d, hn::Mul(hn::ConvertTo(df, q), hn::BitCast(df, scale))), sign);
}

HWY_INLINE V AbsBits(D d, V x) { return hn::And(x, hn::Set(d, 0x7FFFFFFF)); }
HWY_INLINE V SignBit(D d, V x) { return hn::And(x, hn::Set(d, static_cast<int32_t>(0x80000000u))); }

inline void StoreLE32(uint32_t v, uint8_t* p) { std::memcpy(p, &v, 4); }
inline uint32_t LoadLE32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// ================================================================ last axis

// A batch of up to 16 units of the last-axis layout: where each unit's 64
// inputs are (padded copies for tails) and where its flat index starts.
struct Batch {
  int n = 0;
  const float* src[kBatch];
  float* dst[kBatch];  // fake-quant output (or a pad buffer)
  int valid[kBatch];
  uint64_t flat[kBatch];
  int64_t r0 = 0;  // unit index of the first
  HWY_ALIGN float pad_in[kBatch][kUnit];
  HWY_ALIGN float pad_out[kBatch][kUnit];
};

inline void FormBatch(const float* x, float* out, const Geo& g, int64_t r0, int n, Batch& b) {
  b.n = n;
  b.r0 = r0;
  for (int k = 0; k < n; ++k) {
    const int64_t r = r0 + k, o = r / g.U, u = r % g.U;
    const int64_t off = o * g.L + u * kUnit;
    const int valid = static_cast<int>(std::min<int64_t>(kUnit, g.L - u * kUnit));
    b.valid[k] = valid;
    b.flat[k] = static_cast<uint64_t>(off);
    b.src[k] = x + off;
    b.dst[k] = out ? out + off : nullptr;
    if (valid < kUnit) {  // zero-padded tail (§6)
      std::copy(x + off, x + off + valid, b.pad_in[k]);
      std::fill(b.pad_in[k] + valid, b.pad_in[k] + kUnit, 0.0f);
      b.src[k] = b.pad_in[k];
      b.dst[k] = b.pad_out[k];
    }
  }
}

// Per-lane shift vectors of the last-axis layout: lane i of vector v is 4-group g = N*v + i.
struct GroupShifts {
  VU b4[16], b8[16];
};
HWY_INLINE void MakeGroupShifts(size_t N, GroupShifts& s) {
  const DU du;
  for (size_t v = 0; v * N < 16; ++v) {
    const VU g = hn::Iota(du, static_cast<uint32_t>(N * v));
    s.b4[v] = hn::Add(g, hn::Set(du, 16u));
    s.b8[v] = hn::Add(hn::ShiftRight<1>(g), hn::Set(du, 8u));
  }
}
HWY_INLINE V GroupSh(D d, uint32_t meta, const GroupShifts& s, size_t v) {
  const DU du;
  const VU m = hn::Set(du, meta), one = hn::Set(du, 1u);
  return hn::BitCast(d, hn::Add(hn::And(m >> s.b4[v], one), hn::And(m >> s.b8[v], one)));
}

// Scale and flags of every unit of the batch: pass 1 forms the 4-group
// maxima (lane = 4-group), they are transposed to lane = unit, then UnitMeta.
HWY_INLINE void BatchMeta(const Batch& b, uint32_t* meta, float* R) {
  const D d;
  const DF df;
  const size_t N = hn::Lanes(d);
  HWY_ALIGN int32_t m4t[16 * kBatch] = {};  // [group][unit]
  HWY_ALIGN int32_t m4u[16];
  for (int k = 0; k < b.n; ++k) {
    for (size_t v = 0; v * N < 16; ++v) {
      VF x0, x1, x2, x3;
      hn::LoadInterleaved4(df, b.src[k] + 4 * N * v, x0, x1, x2, x3);
      const V m = hn::Max(hn::Max(AbsBits(d, hn::BitCast(d, x0)), AbsBits(d, hn::BitCast(d, x1))),
                          hn::Max(AbsBits(d, hn::BitCast(d, x2)), AbsBits(d, hn::BitCast(d, x3))));
      hn::Store(m, d, m4u + N * v);
    }
    for (int gi = 0; gi < 16; ++gi) m4t[gi * kBatch + k] = m4u[gi];
  }
  for (int64_t k0 = 0; k0 < b.n; k0 += static_cast<int64_t>(N)) {
    V m4[16];
    for (int gi = 0; gi < 16; ++gi) m4[gi] = hn::Load(d, m4t + gi * kBatch + k0);
    const Meta mt = UnitMeta(d, m4);
    hn::Store(mt.meta, d, reinterpret_cast<int32_t*>(meta) + k0);
    hn::Store(hn::BitCast(df, mt.R), df, R + k0);
  }
}

// The element codes of one lane (4-group): c0 | c1 << w | c2 << 2w | c3 << 3w.
template <int kM>
HWY_INLINE V GroupField(V c0, V c1, V c2, V c3) {
  constexpr int w = kM + 1;
  return hn::Or(hn::Or(c0, hn::ShiftLeft<w>(c1)), hn::Or(hn::ShiftLeft<2 * w>(c2), hn::ShiftLeft<3 * w>(c3)));
}

// Payload of a unit from its 16 group fields (4w bits each; two make w bytes).
template <int kM>
HWY_INLINE void StoreFields(D d, V field, size_t v, uint8_t* payload, uint32_t* field_buf) {
  constexpr int w = kM + 1;
  const size_t N = hn::Lanes(d);
  if constexpr (w == 4) {
    const hn::Rebind<uint16_t, D> d16;
    hn::StoreU(hn::DemoteTo(d16, field), d16, reinterpret_cast<uint16_t*>(payload) + N * v);
  } else if constexpr (w == 2) {
    const hn::Rebind<uint8_t, D> d8;
    hn::StoreU(hn::DemoteTo(d8, field), d8, payload + N * v);
  } else {
    hn::StoreU(hn::BitCast(DU(), field), DU(), field_buf + N * v);
  }
}
template <int kM>
inline void PackOddFields(const uint32_t* field, uint8_t* payload) {
  constexpr int w = kM + 1;
  if constexpr (w == 3 || w == 5) {
    for (int k = 0; k < 8; ++k) {  // two fields = 8w bits = w bytes
      const uint64_t v = field[2 * k] | (static_cast<uint64_t>(field[2 * k + 1]) << (4 * w));
      for (int byte = 0; byte < w; ++byte) payload[w * k + byte] = static_cast<uint8_t>(v >> (8 * byte));
    }
  }
}

template <Hif4Mode kMode, int kM, bool kEncode>
void LastAxisRange(const float* x, const Geo& g, uint8_t* packed, float* out, uint64_t seed, int64_t rb,
                   int64_t re) {
  const D d;
  const DF df;
  const DU du;
  const size_t N = hn::Lanes(d);
  constexpr size_t rec_bytes = 4 + 8 * (kM + 1);
  GroupShifts gs;
  MakeGroupShifts(N, gs);
  Batch b;
  HWY_ALIGN uint32_t meta[kBatch];
  HWY_ALIGN float R[kBatch];
  HWY_ALIGN uint32_t field_buf[16];
  HWY_ALIGN uint32_t draw_buf[kMode == Hif4Mode::kStochastic ? kUnit + kDrawsSlack : 1];
  for (int64_t r0 = rb; r0 < re; r0 += kBatch) {
    const int n = static_cast<int>(std::min<int64_t>(kBatch, re - r0));
    FormBatch(x, kEncode ? nullptr : out, g, r0, n, b);
    BatchMeta(b, meta, R);
    for (int k = 0; k < n; ++k) {
      uint8_t* rec = kEncode ? packed + static_cast<size_t>(r0 + k) * rec_bytes : nullptr;
      if ((meta[k] & 0xFF) == 0xFF) {  // §4.1: NaN unit
        if constexpr (kEncode) {
          std::memset(rec, 0, rec_bytes);
          rec[0] = 0xFF;
        } else {
          std::fill(b.dst[k], b.dst[k] + kUnit, std::bit_cast<float>(0x7FC00000u));
        }
      } else {
        if constexpr (kEncode) StoreLE32(meta[k], rec);
        const VF Rf = hn::Set(df, R[k]);
        const V S = hn::Set(d, static_cast<int32_t>(((meta[k] & 0xFF) + 316) << 21));
        const uint32_t* draws = nullptr;
        if constexpr (kMode == Hif4Mode::kStochastic) draws = FillDraws(seed, b.flat[k], kUnit, draw_buf);
        for (size_t v = 0; v * N < 16; ++v) {
          VF xf[4];
          hn::LoadInterleaved4(df, b.src[k] + 4 * N * v, xf[0], xf[1], xf[2], xf[3]);
          VU dr[4] = {hn::Zero(du), hn::Zero(du), hn::Zero(du), hn::Zero(du)};
          if constexpr (kMode == Hif4Mode::kStochastic) {
            hn::LoadInterleaved4(du, draws + 4 * N * v, dr[0], dr[1], dr[2], dr[3]);
          }
          const V sh = GroupSh(d, meta[k], gs, v);
          V res[4];
          for (int j = 0; j < 4; ++j) {
            const V xb = hn::BitCast(d, xf[j]);
            const V q = Magnitude<kMode, kM>(d, AbsBits(d, xb), Rf, sh, hn::BitCast(d, dr[j]));
            if constexpr (kEncode) {
              res[j] = hn::Or(q, hn::ShiftLeft<kM>(hn::BitCast(d, hn::ShiftRight<31>(hn::BitCast(du, xb)))));
            } else {
              res[j] = ElementValue<kM>(d, q, SignBit(d, xb), S, sh);
            }
          }
          if constexpr (kEncode) {
            StoreFields<kM>(d, GroupField<kM>(res[0], res[1], res[2], res[3]), v, rec + 4, field_buf);
          } else {
            hn::StoreInterleaved4(hn::BitCast(df, res[0]), hn::BitCast(df, res[1]), hn::BitCast(df, res[2]),
                                  hn::BitCast(df, res[3]), df, b.dst[k] + 4 * N * v);
          }
        }
        if constexpr (kEncode) PackOddFields<kM>(field_buf, rec + 4);
      }
      if constexpr (!kEncode) {
        if (b.valid[k] < kUnit) std::copy(b.pad_out[k], b.pad_out[k] + b.valid[k], out + b.flat[k]);
      }
    }
  }
}

template <int kM>
void LastAxisDecodeRange(const uint8_t* packed, const Geo& g, float* out, int64_t rb, int64_t re) {
  const D d;
  const DF df;
  const size_t N = hn::Lanes(d);
  constexpr int w = kM + 1;
  constexpr size_t rec_bytes = 4 + 8 * w;
  GroupShifts gs;
  MakeGroupShifts(N, gs);
  HWY_ALIGN float pad_out[kUnit];
  HWY_ALIGN int32_t field_buf[16];
  const V cmask = hn::Set(d, (1 << w) - 1), qmask = hn::Set(d, (1 << kM) - 1);
  for (int64_t r = rb; r < re; ++r) {
    const uint8_t* rec = packed + static_cast<size_t>(r) * rec_bytes;
    const int64_t o = r / g.U, u = r % g.U;
    const int64_t off = o * g.L + u * kUnit;
    const int valid = static_cast<int>(std::min<int64_t>(kUnit, g.L - u * kUnit));
    float* dst = valid < kUnit ? pad_out : out + off;
    const uint32_t meta = LoadLE32(rec);
    if ((meta & 0xFF) == 0xFF) {  // §7: NaN unit, whatever the other bits hold
      std::fill(dst, dst + kUnit, std::bit_cast<float>(0x7FC00000u));
    } else {
      const V S = hn::Set(d, static_cast<int32_t>(((meta & 0xFF) + 316) << 21));
      const uint8_t* payload = rec + 4;
      if constexpr (w == 3 || w == 5) {
        for (int k = 0; k < 8; ++k) {
          uint64_t v = 0;
          for (int byte = 0; byte < w; ++byte) v |= static_cast<uint64_t>(payload[w * k + byte]) << (8 * byte);
          field_buf[2 * k] = static_cast<int32_t>(v & ((1u << (4 * w)) - 1));
          field_buf[2 * k + 1] = static_cast<int32_t>(v >> (4 * w));
        }
      }
      for (size_t v = 0; v * N < 16; ++v) {
        V field;
        if constexpr (w == 4) {
          const hn::Rebind<uint16_t, D> d16;
          field = hn::PromoteTo(d, hn::LoadU(d16, reinterpret_cast<const uint16_t*>(payload) + N * v));
        } else if constexpr (w == 2) {
          const hn::Rebind<uint8_t, D> d8;
          field = hn::PromoteTo(d, hn::LoadU(d8, payload + N * v));
        } else {
          field = hn::LoadU(d, field_buf + N * v);
        }
        const V sh = GroupSh(d, meta, gs, v);
        V res[4];
        for (int j = 0; j < 4; ++j) {
          const V c = hn::And(hn::ShiftRightSame(field, j * w), cmask);
          const V sign = hn::ShiftLeft<31>(hn::ShiftRight<kM>(c));
          res[j] = ElementValue<kM>(d, hn::And(c, qmask), sign, S, sh);
        }
        hn::StoreInterleaved4(hn::BitCast(df, res[0]), hn::BitCast(df, res[1]), hn::BitCast(df, res[2]),
                              hn::BitCast(df, res[3]), df, dst + 4 * N * v);
      }
    }
    if (valid < kUnit) std::copy(pad_out, pad_out + valid, out + off);
  }
}

// ================================================================ other axes

// One work item: columns [c_begin, c_end) (at most kColBlock) of unit u of
// outer slice oi. Rows are 64u .. 64u + 63 of the blocking axis.
struct Tile {
  int64_t oi, u, c_begin, c_end;
};
// Items run (outer slice, band of kBand units, column block, unit in band),
// last fastest: a band's 64 * kBand rows are swept across all columns before
// the next band, so their pages stay in the TLB (one page per row for large
// row strides), and each line's kBand records are written together. Items
// past the last unit of a line are empty (u >= U).
inline Tile TileOf(const Geo& g, int64_t item) {
  const int64_t blocks = (g.inner + kColBlock - 1) / kColBlock;
  const int64_t bands = (g.U + kBand - 1) / kBand;
  Tile t;
  int64_t rest = item;
  const int64_t uin = rest % kBand;
  rest /= kBand;
  t.c_begin = (rest % blocks) * kColBlock;
  t.c_end = std::min(g.inner, t.c_begin + kColBlock);
  rest /= blocks;
  t.u = (rest % bands) * kBand + uin;
  t.oi = rest / bands;
  return t;
}

template <Hif4Mode kMode, int kM, bool kEncode>
void StridedRange(const float* x, const Geo& g, uint8_t* packed, float* out, uint64_t seed, int64_t ib,
                  int64_t ie) {
  const D d;
  const DF df;
  const DU du;
  const size_t N = hn::Lanes(d);
  constexpr int w = kM + 1;
  constexpr int kWords = 2 * w;
  constexpr size_t rec_bytes = 4 + 8 * w;
  HWY_ALIGN float tile_in[kUnit * kMaxLanes];
  HWY_ALIGN float tile_out[kUnit * kMaxLanes];
  HWY_ALIGN uint32_t wbuf[(kWords + 1) * kMaxLanes];
  constexpr bool kStoch = kMode == Hif4Mode::kStochastic;
  HWY_ALIGN uint32_t draw_buf[kStoch ? kColBlock + kDrawsSlack : 1];
  HWY_ALIGN uint32_t draw_tile[kStoch ? kUnit * kColBlock : 1];  // [row][column of the block]
  for (int64_t item = ib; item < ie; ++item) {
    const Tile tl = TileOf(g, item);
    if (tl.u >= g.U) continue;
    const int rows = static_cast<int>(std::min<int64_t>(kUnit, g.L - tl.u * kUnit));
    if constexpr (kStoch) {
      // The draws of the whole block, one Philox run per row: lane c of row i
      // is flat index (row 64u + i, column c) = consecutive along the row.
      const int64_t width = (tl.c_end - tl.c_begin + static_cast<int64_t>(N) - 1) / static_cast<int64_t>(N) *
                            static_cast<int64_t>(N);
      for (int i = 0; i < rows; ++i) {
        const int64_t flat = (tl.oi * g.L + tl.u * kUnit + i) * g.inner + tl.c_begin;
        const uint32_t* dr = FillDraws(seed, static_cast<uint64_t>(flat), static_cast<size_t>(width), draw_buf);
        std::copy(dr, dr + width, draw_tile + i * kColBlock);
      }
      // Padding rows: x = 0 gives t = 0 and q = 0 for any draw below 2^24.
      std::fill(draw_tile + rows * kColBlock, draw_tile + kUnit * kColBlock, 0u);
    }
    for (int64_t c0 = tl.c_begin; c0 < tl.c_end; c0 += static_cast<int64_t>(N)) {
      const int cols = static_cast<int>(std::min<int64_t>(static_cast<int64_t>(N), tl.c_end - c0));
      const int64_t first = (tl.oi * g.L + tl.u * kUnit) * g.inner + c0;  // flat index of (row 0, column c0)
      const float* src = x + first;
      float* dst = kEncode ? nullptr : out + first;
      int64_t stride = g.inner;  // of src in pass 1 and of dst
      const bool partial = rows < kUnit || cols < static_cast<int>(N);
      if (partial) {  // zero-padded copy (§6); lanes past `cols` are discarded
        std::fill(tile_in, tile_in + kUnit * N, 0.0f);
        for (int i = 0; i < rows; ++i) std::copy(src + i * g.inner, src + i * g.inner + cols, tile_in + i * N);
        src = tile_in;
        dst = tile_out;
        stride = static_cast<int64_t>(N);
      }
      // Pass 1: 4-group maxima, then scale and flags, lane-wise. The rows are
      // staged in tile_in so that pass 2 reads them contiguously (64 rows a
      // power-of-two stride apart share a few L1 sets).
      V m4[16];
      for (int gi = 0; gi < 16; ++gi) {
        V m = hn::Zero(d);
        for (int j = 0; j < 4; ++j) {
          const VF row = hn::LoadU(df, src + (4 * gi + j) * stride);
          if (!partial) hn::Store(row, df, tile_in + (4 * gi + j) * N);
          m = hn::Max(m, AbsBits(d, hn::BitCast(d, row)));
        }
        m4[gi] = m;
      }
      src = tile_in;
      const Meta mt = UnitMeta(d, m4);
      const auto nan = hn::Eq(hn::And(mt.meta, hn::Set(d, 0xFF)), hn::Set(d, 0xFF));
      const VF Rf = hn::BitCast(df, mt.R);
      // Pass 2: elements, row by row.
      VU words[kWords];
      for (int k = 0; k < kWords; ++k) words[k] = hn::Zero(du);
      for (int i = 0; i < kUnit; ++i) {
        const V xb = hn::BitCast(d, hn::Load(d, reinterpret_cast<const int32_t*>(src) + i * static_cast<int64_t>(N)));
        V draw = hn::Zero(d);
        if constexpr (kStoch) {
          draw = hn::BitCast(d, hn::LoadU(du, draw_tile + i * kColBlock + (c0 - tl.c_begin)));
        }
        const V q = Magnitude<kMode, kM>(d, AbsBits(d, xb), Rf, mt.sh[i >> 2], draw);
        if constexpr (kEncode) {
          const VU code = hn::Or(hn::BitCast(du, q), hn::ShiftLeft<kM>(hn::ShiftRight<31>(hn::BitCast(du, xb))));
          const int pos = i * w, wi = pos >> 5, sft = pos & 31;
          words[wi] = hn::Or(words[wi], hn::ShiftLeftSame(code, sft));
          if (sft + w > 32) words[wi + 1] = hn::Or(words[wi + 1], hn::ShiftRightSame(code, 32 - sft));
        } else {
          V val = ElementValue<kM>(d, q, SignBit(d, xb), mt.S, mt.sh[i >> 2]);
          val = hn::IfThenElse(nan, hn::Set(d, 0x7FC00000), val);
          hn::StoreU(hn::BitCast(df, val), df, dst + i * stride);
        }
      }
      if constexpr (kEncode) {
        hn::Store(hn::BitCast(du, mt.meta), du, wbuf);
        for (int k = 0; k < kWords; ++k) {
          hn::Store(hn::IfThenZeroElse(hn::RebindMask(du, nan), words[k]), du, wbuf + (k + 1) * N);
        }
        for (int c = 0; c < cols; ++c) {
          const int64_t line = tl.oi * g.inner + c0 + c;
          uint8_t* rec = packed + static_cast<size_t>(line * g.U + tl.u) * rec_bytes;
          for (int k = 0; k <= kWords; ++k) StoreLE32(wbuf[k * N + c], rec + 4 * k);
        }
      } else if (partial) {
        float* o = out + first;
        for (int i = 0; i < rows; ++i) std::copy(tile_out + i * N, tile_out + i * N + cols, o + i * g.inner);
      }
    }
  }
}

template <int kM>
void StridedDecodeRange(const uint8_t* packed, const Geo& g, float* out, int64_t ib, int64_t ie) {
  const D d;
  const DF df;
  const DU du;
  const size_t N = hn::Lanes(d);
  constexpr int w = kM + 1;
  constexpr int kWords = 2 * w;
  constexpr size_t rec_bytes = 4 + 8 * w;
  HWY_ALIGN float tile_out[kUnit * kMaxLanes];
  HWY_ALIGN uint32_t wbuf[(kWords + 1) * kMaxLanes];
  const VU cmask = hn::Set(du, (1u << w) - 1);
  for (int64_t item = ib; item < ie; ++item) {
    const Tile tl = TileOf(g, item);
    if (tl.u >= g.U) continue;
    const int rows = static_cast<int>(std::min<int64_t>(kUnit, g.L - tl.u * kUnit));
    for (int64_t c0 = tl.c_begin; c0 < tl.c_end; c0 += static_cast<int64_t>(N)) {
      const int cols = static_cast<int>(std::min<int64_t>(static_cast<int64_t>(N), tl.c_end - c0));
      const int64_t first = (tl.oi * g.L + tl.u * kUnit) * g.inner + c0;
      const bool partial = rows < kUnit || cols < static_cast<int>(N);
      float* dst = partial ? tile_out : out + first;
      const int64_t stride = partial ? static_cast<int64_t>(N) : g.inner;
      // Transpose the records of the lanes' units into [word][lane].
      std::fill(wbuf, wbuf + (kWords + 1) * N, 0u);
      for (int c = 0; c < cols; ++c) {
        const int64_t line = tl.oi * g.inner + c0 + c;
        const uint8_t* rec = packed + static_cast<size_t>(line * g.U + tl.u) * rec_bytes;
        for (int k = 0; k <= kWords; ++k) wbuf[k * N + c] = LoadLE32(rec + 4 * k);
      }
      const V meta = hn::BitCast(d, hn::Load(du, wbuf));
      const V code8 = hn::And(meta, hn::Set(d, 0xFF));
      const auto nan = hn::Eq(code8, hn::Set(d, 0xFF));
      const V S = hn::ShiftLeft<21>(hn::Add(code8, hn::Set(d, 316)));
      VU words[kWords];
      for (int k = 0; k < kWords; ++k) words[k] = hn::Load(du, wbuf + (k + 1) * N);
      V sh[16];
      const V one = hn::Set(d, 1);
      for (int gi = 0; gi < 16; ++gi) {
        sh[gi] = hn::Add(hn::And(hn::ShiftRightSame(meta, 8 + (gi >> 1)), one),
                         hn::And(hn::ShiftRightSame(meta, 16 + gi), one));
      }
      for (int i = 0; i < kUnit; ++i) {
        const int pos = i * w, wi = pos >> 5, sft = pos & 31;
        VU c = hn::ShiftRightSame(words[wi], sft);
        if (sft + w > 32) c = hn::Or(c, hn::ShiftLeftSame(words[wi + 1], 32 - sft));
        const V cv = hn::BitCast(d, hn::And(c, cmask));
        const V sign = hn::ShiftLeft<31>(hn::ShiftRight<kM>(cv));
        V val = ElementValue<kM>(d, hn::And(cv, hn::Set(d, (1 << kM) - 1)), sign, S, sh[i >> 2]);
        val = hn::IfThenElse(nan, hn::Set(d, 0x7FC00000), val);
        hn::StoreU(hn::BitCast(df, val), df, dst + i * stride);
      }
      if (partial) {
        float* o = out + first;
        for (int i = 0; i < rows; ++i) std::copy(tile_out + i * N, tile_out + i * N + cols, o + i * g.inner);
      }
    }
  }
}

// ================================================================ dispatch on (m, mode)

template <bool kEncode, int kM, Hif4Mode kMode>
void QuantizeRangeT(const float* x, const Geo& g, uint8_t* packed, float* out, uint64_t seed, int64_t b, int64_t e) {
  if (g.inner == 1) LastAxisRange<kMode, kM, kEncode>(x, g, packed, out, seed, b, e);
  else StridedRange<kMode, kM, kEncode>(x, g, packed, out, seed, b, e);
}

template <bool kEncode, int kM>
void QuantizeRangeM(const float* x, const Geo& g, uint8_t* packed, float* out, const hif4_detail::Hif4Params& p, int64_t b,
                    int64_t e) {
  switch (p.rounding) {
    case Hif4Mode::kAway: return QuantizeRangeT<kEncode, kM, Hif4Mode::kAway>(x, g, packed, out, p.seed, b, e);
    case Hif4Mode::kEven: return QuantizeRangeT<kEncode, kM, Hif4Mode::kEven>(x, g, packed, out, p.seed, b, e);
    case Hif4Mode::kStochastic:
      return QuantizeRangeT<kEncode, kM, Hif4Mode::kStochastic>(x, g, packed, out, p.seed, b, e);
  }
}

template <bool kEncode>
void QuantizeRange(const float* x, const Geo& g, uint8_t* packed, float* out, const hif4_detail::Hif4Params& p, int64_t b,
                   int64_t e) {
  switch (p.m) {
    case 1: return QuantizeRangeM<kEncode, 1>(x, g, packed, out, p, b, e);
    case 2: return QuantizeRangeM<kEncode, 2>(x, g, packed, out, p, b, e);
    case 3: return QuantizeRangeM<kEncode, 3>(x, g, packed, out, p, b, e);
    default: return QuantizeRangeM<kEncode, 4>(x, g, packed, out, p, b, e);
  }
}

template <int kM>
void DecodeRangeM(const uint8_t* packed, const Geo& g, float* out, int64_t b, int64_t e) {
  if (g.inner == 1) LastAxisDecodeRange<kM>(packed, g, out, b, e);
  else StridedDecodeRange<kM>(packed, g, out, b, e);
}

}  // namespace hif4_impl

// Exported entry points: work items [b, e) (units for the last axis, tiles otherwise).
void Hif4EncodeRange(const float* x, const hif4_detail::Geo& g, uint8_t* out, const hif4_detail::Hif4Params& p, int64_t b,
                     int64_t e) {
  hif4_impl::QuantizeRange<true>(x, g, out, nullptr, p, b, e);
}
void Hif4FakeQuantRange(const float* x, const hif4_detail::Geo& g, float* out, const hif4_detail::Hif4Params& p, int64_t b,
                        int64_t e) {
  hif4_impl::QuantizeRange<false>(x, g, nullptr, out, p, b, e);
}
void Hif4DecodeRange(const uint8_t* in, const hif4_detail::Geo& g, float* out, const hif4_detail::Hif4Params& p, int64_t b,
                     int64_t e) {
  switch (p.m) {
    case 1: return hif4_impl::DecodeRangeM<1>(in, g, out, b, e);
    case 2: return hif4_impl::DecodeRangeM<2>(in, g, out, b, e);
    case 3: return hif4_impl::DecodeRangeM<3>(in, g, out, b, e);
    default: return hif4_impl::DecodeRangeM<4>(in, g, out, b, e);
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/parallel_for.h"

namespace hifloat::kernels {

HWY_EXPORT(Hif4EncodeRange);
HWY_EXPORT(Hif4FakeQuantRange);
HWY_EXPORT(Hif4DecodeRange);

namespace {

hif4_detail::Geo geo_of(const LineGeometry& lg) {
  hif4_detail::Geo g;
  g.inner = lg.inner;
  g.L = lg.length;
  g.outer = lg.inner == 0 ? 0 : lg.lines / lg.inner;
  g.U = (g.L + hif4_detail::kUnit - 1) / hif4_detail::kUnit;
  return g;
}

// Work items: units (last axis) or tiles of up to 64 columns x one unit (other axes).
int64_t work_items(const hif4_detail::Geo& g) {
  if (g.L == 0 || g.outer == 0 || g.inner == 0) return 0;
  if (g.inner == 1) return g.outer * g.U;
  const int64_t bands = (g.U + hif4_detail::kBand - 1) / hif4_detail::kBand;
  return g.outer * bands * ((g.inner + hif4_detail::kColBlock - 1) / hif4_detail::kColBlock) * hif4_detail::kBand;
}
// Partition boundaries: whole metadata batches along the last axis, whole bands otherwise.
int64_t grain(const hif4_detail::Geo& g) { return g.inner == 1 ? hif4_detail::kBatch : hif4_detail::kBand; }

}  // namespace

void hif4_encode(int m, Hif4Mode mode, uint64_t seed, const float* x, const LineGeometry& lg, uint8_t* out,
                 int threads) {
  const hif4_detail::Geo g = geo_of(lg);
  const hif4_detail::Hif4Params p{m, mode, seed};
  parallel_for(work_items(g), threads, grain(g),
               [&](int64_t b, int64_t e) { HWY_DYNAMIC_DISPATCH(Hif4EncodeRange)(x, g, out, p, b, e); });
}

void hif4_decode(int m, const uint8_t* in, const LineGeometry& lg, float* out, int threads) {
  const hif4_detail::Geo g = geo_of(lg);
  const hif4_detail::Hif4Params p{m, Hif4Mode::kAway, 0};
  parallel_for(work_items(g), threads, grain(g),
               [&](int64_t b, int64_t e) { HWY_DYNAMIC_DISPATCH(Hif4DecodeRange)(in, g, out, p, b, e); });
}

void hif4_fake_quant(int m, Hif4Mode mode, uint64_t seed, const float* x, const LineGeometry& lg, float* out,
                     int threads) {
  const hif4_detail::Geo g = geo_of(lg);
  const hif4_detail::Hif4Params p{m, mode, seed};
  parallel_for(work_items(g), threads, grain(g),
               [&](int64_t b, int64_t e) { HWY_DYNAMIC_DISPATCH(Hif4FakeQuantRange)(x, g, out, p, b, e); });
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
