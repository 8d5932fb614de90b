// Per-target generic block loops for block formats whose block length is a
// run-time value (int8: the whole line; int4: the group G), instantiated with
// a format "policy" (int_kernels.cc). (NVFP4 and MX have their own kernels:
// block_kernels.h.)
//
// A policy P describes one format:
//   block, width (code bits), scale_bytes, kNanFill, kFiniteMax (Scales reads
//   the finite maximum),
//   Scales(di, amax_bits, finite_max_bits, &scale, &qparam, &dparam, &nan)
//     — from a vector of per-block statistics (one lane per block) to the
//       record's scale field, the quantisation and dequantisation parameters,
//       and which blocks are NaN blocks;
//   Encode(di, x_bits, qparam) -> element codes (width bits, signed);
//   Decode(di, codes, dparam) -> values;
//   DecodeScales(di, scale, &dparam, &nan).
//
// Two loop shapes cover every blocking axis (spec/README.md "Blocking axis"):
//   - contiguous: blocks along the last axis, B consecutive elements each;
//     statistics are reduced per block, scales computed for a vector of
//     blocks at once, elements encoded a vector at a time;
//   - strided: blocks along another axis; lanes are consecutive lines (the
//     `inner` index), so every load is contiguous and each lane holds its own
//     block (a vertical reduction gives every lane its statistics).
// Both give exactly the reference's bytes: every step is per element or per
// block, with the reference's fp32 operations.
#if defined(HIFLOAT_KERNELS_LANE_BLOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HIFLOAT_KERNELS_LANE_BLOCKS_INL_H_
#undef HIFLOAT_KERNELS_LANE_BLOCKS_INL_H_
#else
#define HIFLOAT_KERNELS_LANE_BLOCKS_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <hwy/highway.h>

#include "kernels/lane_block_pack.h"
#include "kernels/convert-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::RebindToFloat<DI>;
using VF = hn::Vec<DF>;
using MI = hn::Mask<DI>;

constexpr size_t kBlockMaxLanes = HWY_MAX_BYTES / sizeof(int32_t);

HWY_INLINE VF AsFloat(VI v) { return hn::BitCast(DF(), v); }
HWY_INLINE VI AsBits(VF v) { return hn::BitCast(DI(), v); }

// ------------------------------------------------------------------ loops

// Per-block statistics as fp32 bits: max |x| over all elements (NaN > Inf >
// finite in integer order) and over the finite ones.
struct BlockStats {
  VI amax;
  VI fmax;
};

// kFinite: also the finite maximum (only the integer formats and NVFP4's tensor amax need it).
template <bool kFinite = true>
HWY_INLINE void AccumulateStats(DI di, VI x, BlockStats& s) {
  const VI a = hn::AndNot(hn::SignBit(di), x);
  s.amax = hn::Max(s.amax, a);
  if constexpr (kFinite) s.fmax = hn::Max(s.fmax, hn::IfThenElseZero(hn::Lt(a, hn::Set(di, 0x7F800000)), a));
}

// Loads `n` (<= Lanes) elements from p, zero-filling the rest.
template <typename In>
HWY_INLINE VI LoadPartial(DI di, const In* p, size_t n) {
  In tmp[kBlockMaxLanes] = {};
  std::copy(p, p + n, tmp);
  return LoadBits(di, tmp);
}

// Stores `n` (<= Lanes) lanes of v to p.
HWY_INLINE void StorePartial(DF df, VF v, float* p, size_t n) {
  HWY_ALIGN float tmp[kBlockMaxLanes];
  hn::Store(v, df, tmp);
  std::copy(tmp, tmp + n, p);
}

// The `n` (<= Lanes) low bytes of each lane of `codes` into p.
HWY_INLINE void StoreCodes(DI di, VI codes, uint8_t* p, size_t n) {
  const hn::Rebind<uint8_t, DI> d8;
  if (n == hn::Lanes(di)) {
    hn::StoreU(hn::DemoteTo(d8, codes), d8, p);
  } else {
    uint8_t tmp[kBlockMaxLanes];
    hn::StoreU(hn::DemoteTo(d8, codes), d8, tmp);
    std::copy(tmp, tmp + n, p);
  }
}

// Whether codes can be paired into bytes in registers (two lanes or more).
constexpr bool kCanPairNibbles = HWY_TARGET != HWY_SCALAR;

// Lanes 2p and 2p+1 of `codes` (nibbles) as byte p = c[2p] | c[2p+1] << 4:
// Lanes / 2 bytes to p.
HWY_INLINE void StoreNibblePairs(DI di, VI codes, uint8_t* p) {
  (void)di;  // only its type is needed
#if HWY_TARGET != HWY_SCALAR
  const hn::Repartition<uint64_t, DI> d64;
  const hn::Rebind<uint8_t, decltype(d64)> d8;
  const auto v = hn::BitCast(d64, codes);
  hn::StoreU(hn::TruncateTo(d8, hn::Or(v, hn::ShiftRight<28>(v))), d8, p);
#else
  p[0] = static_cast<uint8_t>(hn::GetLane(codes));  // unused: kCanPairNibbles is false
#endif
}

HWY_INLINE VI LoadCodes(DI di, const uint8_t* p, size_t n) {
  const hn::Rebind<uint8_t, DI> d8;
  if (n == hn::Lanes(di)) return hn::PromoteTo(di, hn::LoadU(d8, p));
  uint8_t tmp[kBlockMaxLanes] = {};
  std::copy(p, p + n, tmp);
  return hn::PromoteTo(di, hn::LoadU(d8, tmp));
}

HWY_INLINE void WriteScale(uint32_t scale, int bytes, uint8_t* r) {
  for (int b = 0; b < bytes; ++b) r[b] = static_cast<uint8_t>(scale >> (8 * b));
}
HWY_INLINE uint32_t ReadScale(const uint8_t* r, int bytes) {
  uint32_t s = 0;
  for (int b = 0; b < bytes; ++b) s |= static_cast<uint32_t>(r[b]) << (8 * b);
  return s;
}

// Per-call scratch for one block's codes (one byte each), B + slack bytes.
inline uint8_t* CodeScratch(size_t bytes) {
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < bytes) buf.resize(bytes);
  return buf.data();
}

// Statistics, scales and NaN flags of up to Lanes contiguous blocks starting
// at x; results in lane j for block j.
template <class P, typename In>
HWY_INLINE void ContigScales(const P& p, const In* x, size_t k, VI& scale, VF& qparam, VF& dparam, MI& nan) {
  const DI di;
  const size_t N = hn::Lanes(di);
  const size_t B = static_cast<size_t>(p.block);
  HWY_ALIGN int32_t amax[kBlockMaxLanes] = {}, fmax[kBlockMaxLanes] = {};
  for (size_t j = 0; j < k; ++j) {
    BlockStats s{hn::Zero(di), hn::Zero(di)};
    const In* xb = x + j * B;
    size_t c = 0;
    for (; c + N <= B; c += N) AccumulateStats<P::kFiniteMax>(di, LoadBits(di, xb + c), s);
    if (c < B) AccumulateStats<P::kFiniteMax>(di, LoadPartial(di, xb + c, B - c), s);
    amax[j] = hn::GetLane(hn::MaxOfLanes(di, s.amax));
    if constexpr (P::kFiniteMax) fmax[j] = hn::GetLane(hn::MaxOfLanes(di, s.fmax));
  }
  p.Scales(di, hn::Load(di, amax), hn::Load(di, fmax), scale, qparam, dparam, nan);
}

// Encodes `nblocks` whole contiguous blocks of x into records at rec.
template <class P, typename In>
void EncodeContig(const P& p, const In* HWY_RESTRICT x, size_t nblocks, uint8_t* HWY_RESTRICT rec) {
  const DI di;
  const DF df;
  const size_t N = hn::Lanes(di);
  const size_t B = static_cast<size_t>(p.block);
  const size_t code_bytes = packed_code_bytes(B, p.width);
  const size_t rb = static_cast<size_t>(p.scale_bytes) + code_bytes;
  uint8_t* codes = CodeScratch(B + 16);
  for (size_t b0 = 0; b0 < nblocks; b0 += N) {
    const size_t k = std::min(N, nblocks - b0);
    VI scale;
    VF qparam, dparam;
    MI nan;
    ContigScales(p, x + b0 * B, k, scale, qparam, dparam, nan);
    HWY_ALIGN int32_t sc[kBlockMaxLanes], nf[kBlockMaxLanes];
    HWY_ALIGN float qp[kBlockMaxLanes];
    hn::Store(scale, di, sc);
    hn::Store(hn::VecFromMask(di, nan), di, nf);
    hn::Store(qparam, df, qp);
    for (size_t j = 0; j < k; ++j) {
      uint8_t* r = rec + (b0 + j) * rb;
      WriteScale(static_cast<uint32_t>(sc[j]), p.scale_bytes, r);
      if (nf[j]) {
        std::memset(r + p.scale_bytes, 0, code_bytes);
        continue;
      }
      const VF q = hn::Set(df, qp[j]);
      const In* xb = x + (b0 + j) * B;
      uint8_t* cb = r + p.scale_bytes;
      size_t c = 0;
      if (p.width == 8) {  // one byte per code: straight into the record
        for (; c + N <= B; c += N) StoreCodes(di, p.Encode(di, LoadBits(di, xb + c), q), cb + c, N);
        if (c < B) StoreCodes(di, p.Encode(di, LoadPartial(di, xb + c, B - c), q), cb + c, B - c);
        continue;
      }
      if (p.width == 4 && kCanPairNibbles) {  // nibble pairs in registers
        for (; c + N <= B; c += N) StoreNibblePairs(di, p.Encode(di, LoadBits(di, xb + c), q), cb + c / 2);
        if (c == B) continue;
      }
      // The rest (6-bit codes, a partial vector, the scalar target): one byte per code, then packed.
      const size_t c0 = c;
      for (; c + N <= B; c += N) StoreCodes(di, p.Encode(di, LoadBits(di, xb + c), q), codes + c - c0, N);
      if (c < B) StoreCodes(di, p.Encode(di, LoadPartial(di, xb + c, B - c), q), codes + c - c0, B - c);
      pack_code_bytes(codes, B - c0, p.width, cb + c0 * static_cast<size_t>(p.width) / 8);
    }
  }
}

// Fused quantise + dequantise of `nblocks` whole contiguous blocks.
template <class P>
void FakeQuantContig(const P& p, const float* HWY_RESTRICT x, size_t nblocks, float* HWY_RESTRICT y) {
  const DI di;
  const DF df;
  const size_t N = hn::Lanes(di);
  const size_t B = static_cast<size_t>(p.block);
  for (size_t b0 = 0; b0 < nblocks; b0 += N) {
    const size_t k = std::min(N, nblocks - b0);
    VI scale;
    VF qparam, dparam;
    MI nan;
    ContigScales(p, x + b0 * B, k, scale, qparam, dparam, nan);
    HWY_ALIGN int32_t nf[kBlockMaxLanes];
    HWY_ALIGN float qp[kBlockMaxLanes], dp[kBlockMaxLanes];
    hn::Store(hn::VecFromMask(di, nan), di, nf);
    hn::Store(qparam, df, qp);
    hn::Store(dparam, df, dp);
    for (size_t j = 0; j < k; ++j) {
      const float* xb = x + (b0 + j) * B;
      float* yb = y + (b0 + j) * B;
      if (nf[j]) {
        std::fill(yb, yb + B, std::numeric_limits<float>::quiet_NaN());
        continue;
      }
      const VF q = hn::Set(df, qp[j]), d = hn::Set(df, dp[j]);
      size_t c = 0;
      for (; c + N <= B; c += N) hn::StoreU(p.Decode(di, p.Encode(di, LoadBits(di, xb + c), q), d), df, yb + c);
      if (c < B) StorePartial(df, p.Decode(di, p.Encode(di, LoadPartial(di, xb + c, B - c), q), d), yb + c, B - c);
    }
  }
}

// Decodes `nblocks` records into contiguous blocks.
template <class P>
void DecodeContig(const P& p, const uint8_t* HWY_RESTRICT rec, size_t nblocks, float* HWY_RESTRICT y) {
  const DI di;
  const DF df;
  const size_t N = hn::Lanes(di);
  const size_t B = static_cast<size_t>(p.block);
  const size_t rb = static_cast<size_t>(p.scale_bytes) + packed_code_bytes(B, p.width);
  uint8_t* codes = CodeScratch(B + 16);
  for (size_t b0 = 0; b0 < nblocks; b0 += N) {
    const size_t k = std::min(N, nblocks - b0);
    HWY_ALIGN int32_t sc[kBlockMaxLanes] = {}, nf[kBlockMaxLanes];
    HWY_ALIGN float dp[kBlockMaxLanes];
    for (size_t j = 0; j < k; ++j) sc[j] = static_cast<int32_t>(ReadScale(rec + (b0 + j) * rb, p.scale_bytes));
    VF dparam;
    MI nan;
    p.DecodeScales(di, hn::Load(di, sc), dparam, nan);
    hn::Store(hn::VecFromMask(di, nan), di, nf);
    hn::Store(dparam, df, dp);
    for (size_t j = 0; j < k; ++j) {
      const uint8_t* r = rec + (b0 + j) * rb;
      float* yb = y + (b0 + j) * B;
      if (P::kNanFill && nf[j]) {
        std::fill(yb, yb + B, std::numeric_limits<float>::quiet_NaN());
        continue;
      }
      const uint8_t* cb = r + p.scale_bytes;
      if (p.width != 8) {
        unpack_code_bytes(cb, B, p.width, codes);
        cb = codes;
      }
      const VF d = hn::Set(df, dp[j]);
      size_t c = 0;
      for (; c + N <= B; c += N) hn::StoreU(p.Decode(di, LoadCodes(di, cb + c, N), d), df, yb + c);
      if (c < B) StorePartial(df, p.Decode(di, LoadCodes(di, cb + c, B - c), d), yb + c, B - c);
    }
  }
}

// Strided blocks: `count` consecutive lines (consecutive values of the
// inner index); element i of line j's block at x[i * inner + j], of which
// the first `valid` are real (the rest is zero padding); line j's record at
// rec + j * rec_stride. Lines are processed a vector of lanes at a time.

template <typename In>
HWY_INLINE VI LoadRow(DI di, const In* p, size_t n) {
  return n == hn::Lanes(di) ? LoadBits(di, p) : LoadPartial(di, p, n);
}

template <class P, typename In>
HWY_INLINE void StridedScales(const P& p, const In* x, int64_t inner, size_t n, int64_t valid, VI& scale, VF& qparam,
                              VF& dparam, MI& nan) {
  const DI di;
  BlockStats s{hn::Zero(di), hn::Zero(di)};
  for (int64_t i = 0; i < valid; ++i) AccumulateStats<P::kFiniteMax>(di, LoadRow(di, x + i * inner, n), s);
  p.Scales(di, s.amax, s.fmax, scale, qparam, dparam, nan);
}

// Strided records are assembled in per-lane words of codes (width 4 or 8:
// 32-bit words; width 6: 24-bit words of 4 codes) when a block has at most
// kMaxWords of them; otherwise one byte per code.
constexpr size_t kMaxWords = 8;
struct WordLayout {
  size_t codes_per_word, bytes_per_word, words, code_bytes;
  WordLayout(size_t block, int width)
      : codes_per_word(width == 6 ? 4 : 32 / static_cast<size_t>(width)),
        bytes_per_word(codes_per_word * static_cast<size_t>(width) / 8),
        words((block + codes_per_word - 1) / codes_per_word),
        code_bytes(packed_code_bytes(block, width)) {}
  bool fits() const { return words <= kMaxWords; }
  size_t bytes_of(size_t k) const { return std::min(bytes_per_word, code_bytes - k * bytes_per_word); }
};

template <class P, typename In>
void EncodeStrided(const P& p, const In* HWY_RESTRICT x, int64_t inner, size_t count, int64_t valid,
                   uint8_t* HWY_RESTRICT rec, size_t rec_stride) {
  const DI di;
  const size_t N = hn::Lanes(di);
  const size_t B = static_cast<size_t>(p.block);
  const size_t code_bytes = packed_code_bytes(B, p.width);
  const WordLayout words(B, p.width);
  // Otherwise: codes of every lane's block (lane j at j * B), packed per lane
  // at the end; 8-bit codes go straight into the records.
  uint8_t* cm = (p.width == 8 || words.fits()) ? nullptr : CodeScratch(N * B + 16);
  for (size_t j0 = 0; j0 < count; j0 += N) {
    const size_t n = std::min(N, count - j0);
    const In* xs = x + j0;
    uint8_t* rs = rec + j0 * rec_stride;
    VI scale;
    VF qparam, dparam;
    MI nan;
    StridedScales(p, xs, inner, n, valid, scale, qparam, dparam, nan);
    HWY_ALIGN int32_t sc[kBlockMaxLanes];
    hn::Store(scale, di, sc);
    for (size_t j = 0; j < n; ++j) {
      WriteScale(static_cast<uint32_t>(sc[j]), p.scale_bytes, rs + j * rec_stride);
      std::memset(rs + j * rec_stride + p.scale_bytes, 0, code_bytes);  // padding and NaN blocks: code 0
    }
    if (words.fits()) {
      HWY_ALIGN int32_t acc[kMaxWords * kBlockMaxLanes] = {};
      for (int64_t i = 0; i < valid; ++i) {
        const VI code = hn::IfThenZeroElse(nan, p.Encode(di, LoadRow(di, xs + i * inner, n), qparam));
        const size_t k = static_cast<size_t>(i) / words.codes_per_word;
        const int sh = static_cast<int>(static_cast<size_t>(i) % words.codes_per_word) * p.width;
        hn::Store(hn::Or(hn::Load(di, acc + k * N), hn::ShiftLeftSame(code, sh)), di, acc + k * N);
      }
      for (size_t j = 0; j < n; ++j) {
        uint8_t* r = rs + j * rec_stride + p.scale_bytes;
        for (size_t k = 0; k < words.words; ++k) {
          detail::store_le(static_cast<uint32_t>(acc[k * N + j]), static_cast<int>(words.bytes_of(k)),
                           r + k * words.bytes_per_word);
        }
      }
      continue;
    }
    if (cm) std::memset(cm, 0, N * B);
    for (int64_t i = 0; i < valid; ++i) {
      const VI code = hn::IfThenZeroElse(nan, p.Encode(di, LoadRow(di, xs + i * inner, n), qparam));
      uint8_t col[kBlockMaxLanes];
      StoreCodes(di, code, col, N);
      if (cm) {
        for (size_t j = 0; j < n; ++j) cm[j * B + static_cast<size_t>(i)] = col[j];
      } else {
        for (size_t j = 0; j < n; ++j) rs[j * rec_stride + p.scale_bytes + static_cast<size_t>(i)] = col[j];
      }
    }
    if (cm) {
      for (size_t j = 0; j < n; ++j) pack_code_bytes(cm + j * B, B, p.width, rs + j * rec_stride + p.scale_bytes);
    }
  }
}

template <class P>
void FakeQuantStrided(const P& p, const float* HWY_RESTRICT x, int64_t inner, size_t count, int64_t valid,
                      float* HWY_RESTRICT y) {
  const DI di;
  const DF df;
  const size_t N = hn::Lanes(di);
  const VF qnan = AsFloat(hn::Set(di, 0x7FC00000));
  for (size_t j0 = 0; j0 < count; j0 += N) {
    const size_t n = std::min(N, count - j0);
    VI scale;
    VF qparam, dparam;
    MI nan;
    StridedScales(p, x + j0, inner, n, valid, scale, qparam, dparam, nan);
    const auto nanf = hn::RebindMask(df, nan);
    for (int64_t i = 0; i < valid; ++i) {
      const VF v = hn::IfThenElse(nanf, qnan, p.Decode(di, p.Encode(di, LoadRow(di, x + j0 + i * inner, n), qparam), dparam));
      if (n == N) hn::StoreU(v, df, y + j0 + i * inner);
      else StorePartial(df, v, y + j0 + i * inner, n);
    }
  }
}

template <class P>
void DecodeStrided(const P& p, const uint8_t* HWY_RESTRICT rec, size_t rec_stride, size_t count, int64_t valid,
                   float* HWY_RESTRICT y, int64_t inner) {
  const DI di;
  const DF df;
  const size_t N = hn::Lanes(di);
  const size_t B = static_cast<size_t>(p.block);
  const VF qnan = AsFloat(hn::Set(di, 0x7FC00000));
  const WordLayout words(B, p.width);
  uint8_t* cm = (p.width == 8 || words.fits()) ? nullptr : CodeScratch(N * B + 16);
  for (size_t j0 = 0; j0 < count; j0 += N) {
    const size_t n = std::min(N, count - j0);
    const uint8_t* rs = rec + j0 * rec_stride;
    HWY_ALIGN int32_t sc[kBlockMaxLanes] = {};
    HWY_ALIGN int32_t acc[kMaxWords * kBlockMaxLanes] = {};
    for (size_t j = 0; j < n; ++j) {
      const uint8_t* r = rs + j * rec_stride;
      sc[j] = static_cast<int32_t>(ReadScale(r, p.scale_bytes));
      if (words.fits()) {
        for (size_t k = 0; k < words.words; ++k) {
          uint32_t w = 0;
          for (size_t b = 0; b < words.bytes_of(k); ++b) {
            w |= static_cast<uint32_t>(r[p.scale_bytes + k * words.bytes_per_word + b]) << (8 * b);
          }
          acc[k * N + j] = static_cast<int32_t>(w);
        }
      } else if (cm) {
        unpack_code_bytes(r + p.scale_bytes, B, p.width, cm + j * B);
      }
    }
    VF dparam;
    MI nan;
    p.DecodeScales(di, hn::Load(di, sc), dparam, nan);
    const auto nanf = hn::RebindMask(df, nan);
    if (words.fits()) {
      const VI mask = hn::Set(di, (1 << p.width) - 1);
      for (int64_t i = 0; i < valid; ++i) {
        const size_t k = static_cast<size_t>(i) / words.codes_per_word;
        const int sh = static_cast<int>(static_cast<size_t>(i) % words.codes_per_word) * p.width;
        const VI code = hn::And(hn::BitCast(di, hn::ShiftRightSame(hn::BitCast(hn::RebindToUnsigned<DI>(),
                                                                                hn::Load(di, acc + k * N)), sh)),
                                mask);
        VF v = p.Decode(di, code, dparam);
        if (P::kNanFill) v = hn::IfThenElse(nanf, qnan, v);
        if (n == N) hn::StoreU(v, df, y + j0 + i * inner);
        else StorePartial(df, v, y + j0 + i * inner, n);
      }
      continue;
    }
    for (int64_t i = 0; i < valid; ++i) {
      uint8_t col[kBlockMaxLanes] = {};
      for (size_t j = 0; j < n; ++j) {
        col[j] = cm ? cm[j * B + static_cast<size_t>(i)] : rs[j * rec_stride + p.scale_bytes + static_cast<size_t>(i)];
      }
      VF v = p.Decode(di, LoadCodes(di, col, N), dparam);
      if (P::kNanFill) v = hn::IfThenElse(nanf, qnan, v);
      if (n == N) hn::StoreU(v, df, y + j0 + i * inner);
      else StorePartial(df, v, y + j0 + i * inner, n);
    }
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
