// HiF8 encode / decode / fake-quant kernels (spec/HIF8.md), compiled once per
// Highway target and dispatched at run time.
//
// The encoder works on float32 bit patterns in 32-bit integer lanes, so it is
// exact and immune to the FPU's flush-to-zero/denormals-are-zero modes. It
// mirrors hif8_encode (include/hifloat/hif8.h) on the float32 grid:
//   - the binade 2^E of |x| fixes how many mantissa bits HiF8 keeps (3 for
//     |E| <= 3, 2 for |E| <= 7, 1 for |E| <= 15, none for the denormal powers
//     2^-22..2^-16), i.e. the grid step in float32 mantissa units; it comes
//     from a 32-entry per-binade table held in registers (hif8_tables.h);
//   - rounding adds a mode-dependent increment and truncates to the step: the
//     carry is the round-up, and a carry into the exponent is exactly the next
//     binade's first value;
//   - special magnitudes (|x| < 2^-22, >= 49152, the stochastic overflow above
//     32768, Inf, NaN) then override the result, as in the reference.
// Fake-quant returns that float32 value; encoding maps it to its code with a
// second per-binade table (exponent swap and shift, hif8_lut::kCodeEntry).
// Decoding inverts the code table (hif8_lut::kDecodeEntry), also in registers.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hif8_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hifloat/hif8.h"
#include "hifloat/ieee16.h"
#include "kernels/hif8_tables.h"
#include "kernels/convert-inl.h"
#include "kernels/lut32-inl.h"
#include "kernels/philox-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---------------------------------------------------------------- the rounding

// The per-binade tables of hif8_tables.h, held in registers.
struct Luts {
  Lut32 half_step{hif8_lut::kHalfStep.data()};
  Lut32 draw_shift{hif8_lut::kDrawShift.data()};
  Lut32 code_entry{hif8_lut::kCodeEntry.data()};
};

// Table index E + 16 of a magnitude's binade, clamped below at 0 (E <= -16).
// Magnitudes up to 0x47800000 give at most 32, which every Lut32 tolerates.
HWY_INLINE VI ExpIndex(DI di, VI mag) {
  return hn::Max(hn::Sub(hn::ShiftRight<23>(mag), hn::Set(di, 127 - 16)), hn::Zero(di));
}

// For float32 bits x: the float32 bits of decode(encode(x)) (kCode = false) or
// the HiF8 code (kCode = true). `draw` = the 24-bit stochastic draw (stochastic
// only); `ovf` = what overflow gives without sign (Inf/32768 or 0x6F/0x6E).
template <Rounding kR, bool kCode>
HWY_INLINE VI Quantize(DI di, VI x, VI draw, const Luts& luts, VI ovf) {
  const hn::RebindToFloat<DI> df;
  const VI a = hn::AndNot(hn::SignBit(di), x);
  // Inputs >= 49152 overflow (or saturate) below; clamping them keeps the
  // integer arithmetic in range and lands them on the overflow test.
  const VI ac = hn::Min(a, hn::Set(di, 0x47400000));
  const VI idx = ExpIndex(di, ac);
  const VI half = luts.half_step(idx);
  const VI one = hn::Set(di, 1);
  const VI mask = hn::Sub(hn::Add(half, half), one);  // step - 1: the bits HiF8 drops
  const VI tiny_limit = hn::Set(di, 0x34800000);      // 2^-22, the smallest non-zero magnitude
  const VI tiny_mid = hn::Set(di, 0x34000000);        // 2^-23, its midpoint with 0

  // Add the rounding increment and truncate: the carry out of the dropped bits
  // is the round-up, and a carry into the exponent is exactly the next
  // binade's first value (mantissa widths grow by at most one bit per binade).
  VI rounded;
  auto tiny_up = hn::Lt(a, hn::Zero(di));  // all false
  if constexpr (kR == Rounding::kAway) {
    rounded = hn::AndNot(mask, hn::Add(ac, half));  // up iff rem >= half
    tiny_up = GeI(a, tiny_mid);
  } else if constexpr (kR == Rounding::kEven) {
    // Up iff rem > half, or rem == half and the lower code is odd. The code's
    // LSB is the kept mantissa LSB, bit `step` of |x|; for the denormal powers
    // (code E + 23, odd for even E) it is the float32 exponent's LSB (E + 127
    // odd), which is again bit `step` = 2^23.
    const VI lsb = hn::Min(hn::And(ac, hn::Add(half, half)), one);
    rounded = hn::AndNot(mask, hn::Add(ac, hn::Add(hn::Sub(half, one), lsb)));
    tiny_up = hn::Gt(a, tiny_mid);
  } else if constexpr (kR == Rounding::kZero) {
    rounded = hn::AndNot(mask, ac);
  } else {
    // Up iff rem * 2^(1+mb) >= 2^24 - draw, i.e. rem + (draw >> (1+mb)) >= step.
    rounded = hn::AndNot(mask, hn::Add(ac, draw >> luts.draw_shift(idx)));
    // Below 2^-22: up iff |x| * 2^46 >= 2^24 - draw (both exact floats; compared
    // as bits, which order like the values; float32 subnormals never round up).
    const VI k_bits = hn::BitCast(di, hn::ConvertTo(df, hn::Sub(hn::Set(di, 1 << 24), draw)));
    tiny_up = hn::And(GeI(a, hn::Set(di, 0x00800000)), GeI(hn::Add(a, hn::Set(di, 46 << 23)), k_bits));
  }

  VI sign, out, max, unit, nan;
  if constexpr (kCode) {
    sign = hn::And(hn::ShiftRight<24>(x), hn::Set(di, 0x80));
    const VI entry = luts.code_entry(ExpIndex(di, rounded));
    out = hn::Add(rounded, entry) >> hn::And(entry, hn::Set(di, 31));
    max = hn::Set(di, hif8_detail::kMax);
    unit = one;
    nan = hn::Set(di, hif8_detail::kNaN);
  } else {
    sign = hn::And(x, hn::SignBit(di));
    out = rounded;
    max = hn::Set(di, 0x47000000);
    unit = tiny_limit;
    nan = hn::Set(di, 0x7FC00000);
  }
  const VI overflowed = hn::Or(sign, ovf);
  out = hn::Or(out, sign);
  const auto rounded_past_max = GeI(rounded, hn::Set(di, 0x47400000));  // onto the Inf pattern 49152, or beyond
  if constexpr (kR == Rounding::kZero) {
    out = hn::IfThenElse(rounded_past_max, hn::Or(sign, max), out);            // finite: truncates to max
    out = hn::IfThenElse(hn::Eq(a, hn::Set(di, 0x7F800000)), overflowed, out);  // +-Inf follows `overflow`
  } else if constexpr (kR == Rounding::kStochastic) {
    out = hn::IfThenElse(hn::Gt(a, hn::Set(di, 0x47000000)), overflowed, out);  // above 32768: no upper neighbour
  } else {
    out = hn::IfThenElse(rounded_past_max, overflowed, out);  // includes +-Inf
  }
  out = hn::IfThenElse(hn::Lt(a, tiny_limit), hn::IfThenElseZero(tiny_up, hn::Or(sign, unit)), out);
  return hn::IfThenElse(hn::Gt(a, hn::Set(di, 0x7F800000)), nan, out);
}

// ---------------------------------------------------------------- outputs

HWY_INLINE void StoreCodes(DI /*di*/, VI code, uint8_t* p) {
  const hn::Rebind<uint8_t, DI> d8;
  hn::StoreU(hn::DemoteTo(d8, code), d8, p);
}

// ---------------------------------------------------------------- loops

// Elements per stochastic-draw batch (a multiple of every vector length).
constexpr size_t kBatch = 2048;
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(int32_t);

// Encode (Out = uint8_t) or fake-quantise (Out = In) n elements.
template <Rounding kR, typename In, typename Out>
void QuantizeRange(const In* HWY_RESTRICT in, Out* HWY_RESTRICT out, size_t n, Overflow overflow, uint64_t seed,
                   uint64_t first) {
  constexpr bool kCode = std::is_same_v<Out, uint8_t>;
  const DI di;
  const hn::RebindToUnsigned<DI> du;
  const size_t lanes = hn::Lanes(di);
  const Luts luts;
  const bool inf = overflow == Overflow::kInf;
  const VI ovf = hn::Set(di, kCode ? (inf ? hif8_detail::kInf : hif8_detail::kMax) : (inf ? 0x7F800000 : 0x47000000));
  const auto step = [&](const In* src, const uint32_t* draws, Out* dst) {
    VI draw = hn::Zero(di);
    if constexpr (kR == Rounding::kStochastic) draw = hn::BitCast(di, hn::LoadU(du, draws));
    const VI q = Quantize<kR, kCode>(di, LoadBits(di, src), draw, luts, ovf);
    if constexpr (kCode) StoreCodes(di, q, dst);
    else StoreBits(di, q, dst);
  };
  HWY_ALIGN uint32_t draw_buf[kR == Rounding::kStochastic ? kBatch + kDrawsSlack : 1];
  for (size_t base = 0; base < n; base += kBatch) {
    const size_t len = std::min(kBatch, n - base);
    const uint32_t* draws = draw_buf;
    if constexpr (kR == Rounding::kStochastic) {
      // Whole vectors of draws, so that the tail reads initialised entries.
      draws = FillDraws(seed, first + base, (len + lanes - 1) / lanes * lanes, draw_buf);
    }
    const In* src = in + base;
    Out* dst = out + base;
    size_t i = 0;
    for (; i + lanes <= len; i += lanes) step(src + i, draws + i, dst + i);
    if (i < len) {  // tail: through zero-padded buffers of one vector
      In tail_in[kMaxLanes] = {};
      Out tail_out[kMaxLanes];
      std::copy(src + i, src + len, tail_in);
      step(tail_in, draws + i, tail_out);
      std::copy(tail_out, tail_out + (len - i), dst + i);
    }
  }
}

template <typename In, typename Out>
void Quantize(const In* in, Out* out, size_t n, const Hif8Options& opt, uint64_t first) {
  switch (opt.rounding) {
    case Rounding::kAway: return QuantizeRange<Rounding::kAway>(in, out, n, opt.overflow, opt.seed, first);
    case Rounding::kEven: return QuantizeRange<Rounding::kEven>(in, out, n, opt.overflow, opt.seed, first);
    case Rounding::kZero: return QuantizeRange<Rounding::kZero>(in, out, n, opt.overflow, opt.seed, first);
    case Rounding::kStochastic:
      return QuantizeRange<Rounding::kStochastic>(in, out, n, opt.overflow, opt.seed, first);
  }
}

// Code -> float32 bits without a gather: the inverse of the encoder's code
// table (hif8_lut::kDecodeEntry, 64 entries in two register tables), then
// zero, NaN and +-Inf.
HWY_INLINE VI DecodeBits(DI di, VI c, const Lut32& lo, const Lut32& hi) {
  const VI r = hn::And(c, hn::Set(di, 0x7F));
  const VI idx = hn::ShiftRight<1>(r);
  const VI entry = hn::IfThenElse(GeI(idx, hn::Set(di, 32)), hi(idx), lo(idx));
  const VI s = hn::And(entry, hn::Set(di, 31));
  VI v = hn::Add(hn::Sub(r << s, entry), s);
  v = hn::IfThenElseZero(hn::Ne(r, hn::Zero(di)), v);
  v = hn::IfThenElse(hn::Eq(r, hn::Set(di, hif8_detail::kInf)), hn::Set(di, 0x7F800000), v);
  v = hn::Or(v, hn::ShiftLeft<24>(hn::And(c, hn::Set(di, 0x80))));
  return hn::IfThenElse(hn::Eq(c, hn::Set(di, hif8_detail::kNaN)), hn::Set(di, 0x7FC00000), v);
}

template <typename Out>
void Decode(const uint8_t* HWY_RESTRICT in, Out* HWY_RESTRICT out, size_t n) {
  const DI di;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  const Lut32 lo(hif8_lut::kDecodeEntry.data()), hi(hif8_lut::kDecodeEntry.data() + 32);
  const auto step = [&](const uint8_t* src, Out* dst) {
    StoreBits(di, DecodeBits(di, hn::PromoteTo(di, hn::LoadU(d8, src)), lo, hi), dst);
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) step(in + i, out + i);
  if (i < n) {
    uint8_t tail_in[kMaxLanes] = {};
    Out tail_out[kMaxLanes];
    std::copy(in + i, in + n, tail_in);
    step(tail_in, tail_out);
    std::copy(tail_out, tail_out + (n - i), out + i);
  }
}

// Exported entry points (one per element type; HWY_EXPORT needs plain functions).
void Hif8EncodeF32(const float* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first) {
  Quantize(in, out, n, opt, first);
}
void Hif8EncodeF16(const float16* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first) {
  Quantize(in, out, n, opt, first);
}
void Hif8EncodeBF16(const bfloat16* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first) {
  Quantize(in, out, n, opt, first);
}
void Hif8FakeQuantF32(const float* in, float* out, size_t n, const Hif8Options& opt, uint64_t first) {
  Quantize(in, out, n, opt, first);
}
void Hif8FakeQuantF16(const float16* in, float16* out, size_t n, const Hif8Options& opt, uint64_t first) {
  Quantize(in, out, n, opt, first);
}
void Hif8FakeQuantBF16(const bfloat16* in, bfloat16* out, size_t n, const Hif8Options& opt, uint64_t first) {
  Quantize(in, out, n, opt, first);
}
void Hif8DecodeF32(const uint8_t* in, float* out, size_t n) { Decode(in, out, n); }
void Hif8DecodeF16(const uint8_t* in, float16* out, size_t n) { Decode(in, out, n); }
void Hif8DecodeBF16(const uint8_t* in, bfloat16* out, size_t n) { Decode(in, out, n); }

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/hif8_kernels.h"
#include "kernels/thread_pool.h"

namespace hifloat::kernels {

HWY_EXPORT(Hif8EncodeF32);
HWY_EXPORT(Hif8EncodeF16);
HWY_EXPORT(Hif8EncodeBF16);
HWY_EXPORT(Hif8FakeQuantF32);
HWY_EXPORT(Hif8FakeQuantF16);
HWY_EXPORT(Hif8FakeQuantBF16);
HWY_EXPORT(Hif8DecodeF32);
HWY_EXPORT(Hif8DecodeF16);
HWY_EXPORT(Hif8DecodeBF16);

#define HIFLOAT_HIF8_QUANTIZE(NAME, IN, OUT, KERNEL)                                                     \
  void NAME(const IN* in, OUT* out, size_t n, const Hif8Options& opt, uint64_t first, int threads) {     \
    parallel_for(n, threads, [&](size_t b, size_t e) {                                                  \
      HWY_DYNAMIC_DISPATCH(KERNEL)(in + b, out + b, e - b, opt, first + b);                             \
    });                                                                                                  \
  }
HIFLOAT_HIF8_QUANTIZE(hif8_encode, float, uint8_t, Hif8EncodeF32)
HIFLOAT_HIF8_QUANTIZE(hif8_encode, float16, uint8_t, Hif8EncodeF16)
HIFLOAT_HIF8_QUANTIZE(hif8_encode, bfloat16, uint8_t, Hif8EncodeBF16)
HIFLOAT_HIF8_QUANTIZE(hif8_fake_quant, float, float, Hif8FakeQuantF32)
HIFLOAT_HIF8_QUANTIZE(hif8_fake_quant, float16, float16, Hif8FakeQuantF16)
HIFLOAT_HIF8_QUANTIZE(hif8_fake_quant, bfloat16, bfloat16, Hif8FakeQuantBF16)
#undef HIFLOAT_HIF8_QUANTIZE

#define HIFLOAT_HIF8_DECODE(OUT, KERNEL)                                                                   \
  void hif8_decode(const uint8_t* in, OUT* out, size_t n, int threads) {                                  \
    parallel_for(n, threads, [&](size_t b, size_t e) { HWY_DYNAMIC_DISPATCH(KERNEL)(in + b, out + b, e - b); }); \
  }
HIFLOAT_HIF8_DECODE(float, Hif8DecodeF32)
HIFLOAT_HIF8_DECODE(float16, Hif8DecodeF16)
HIFLOAT_HIF8_DECODE(bfloat16, Hif8DecodeBF16)
#undef HIFLOAT_HIF8_DECODE

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
