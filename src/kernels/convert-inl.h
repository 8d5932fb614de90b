// Float32 bit patterns in int32 lanes from and to float32, binary16 and
// bfloat16 arrays, exactly and in integer arithmetic (immune to FTZ/DAZ).
// Shared by the elementwise kernels; included once per Highway target.
#if defined(HIFLOAT_KERNELS_CONVERT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HIFLOAT_KERNELS_CONVERT_INL_H_
#undef HIFLOAT_KERNELS_CONVERT_INL_H_
#else
#define HIFLOAT_KERNELS_CONVERT_INL_H_
#endif

#include <cstdint>

#include <hwy/highway.h>

#include "hifloat/ieee16.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DI = hn::ScalableTag<int32_t>;
using VI = hn::Vec<DI>;

// a >= b on i32 lanes (Highway 1.0.3 has integer >= only as !(a < b)).
HWY_INLINE auto GeI(VI a, VI b) { return hn::Not(hn::Lt(a, b)); }

// ---------------------------------------------------------------- inputs
// Each element type as float32 bits in i32 lanes, exactly.

HWY_INLINE VI LoadBits(DI di, const float* p) {
  const hn::RebindToFloat<DI> df;
  return hn::BitCast(di, hn::LoadU(df, p));
}

// binary16 -> float32 bits, as half_bits_to_float (ieee16.h) but in integers.
HWY_INLINE VI HalfToFloatBits(DI di, VI h) {
  const hn::RebindToFloat<DI> df;
  const VI sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(di, 0x8000)));
  const VI mag = hn::And(h, hn::Set(di, 0x7FFF));
  const VI exp = hn::And(h, hn::Set(di, 0x7C00));
  // Normal: move the fields up 13 bits and rebias 15 -> 127; Inf/NaN: 31 -> 255.
  VI bits = hn::Add(hn::ShiftLeft<13>(mag), hn::Set(di, 112 << 23));
  bits = hn::IfThenElse(hn::Eq(exp, hn::Set(di, 0x7C00)), hn::Add(bits, hn::Set(di, 112 << 23)), bits);
  // Subnormal: the value is mag * 2^-24; convert the integer exactly, then scale the exponent.
  const VI sub = hn::Sub(hn::BitCast(di, hn::ConvertTo(df, mag)), hn::Set(di, 24 << 23));
  const VI zero = hn::Zero(di);
  bits = hn::IfThenElse(hn::Eq(exp, zero), hn::IfThenElseZero(hn::Ne(mag, zero), sub), bits);
  return hn::Or(bits, sign);
}

HWY_INLINE VI LoadBits(DI di, const float16* p) {
  const hn::Rebind<uint16_t, DI> d16;
  return HalfToFloatBits(di, hn::PromoteTo(di, hn::LoadU(d16, reinterpret_cast<const uint16_t*>(p))));
}

HWY_INLINE VI LoadBits(DI di, const bfloat16* p) {
  const hn::Rebind<uint16_t, DI> d16;
  return hn::ShiftLeft<16>(hn::PromoteTo(di, hn::LoadU(d16, reinterpret_cast<const uint16_t*>(p))));
}

// ---------------------------------------------------------------- outputs
// From float32 bits of values exact in the output type (format grid values,
// +-Inf, NaN): binary16 needs at least 2^-24 granularity, which every 8-bit
// format here has.

HWY_INLINE void StoreBits(DI /*di*/, VI r, float* p) {
  const hn::RebindToFloat<DI> df;
  hn::StoreU(hn::BitCast(df, r), df, p);
}

// A HiF8 value (or Inf/NaN) as binary16 bits: exact, including the binary16
// subnormals 2^-22 .. 1.5 * 2^-15.
HWY_INLINE void StoreBits(DI di, VI r, float16* p) {
  const hn::Rebind<uint16_t, DI> d16;
  const VI inf = hn::Set(di, 0x7F800000);
  const VI sign = hn::And(hn::ShiftRight<16>(r), hn::Set(di, 0x8000));
  const VI mag = hn::AndNot(hn::SignBit(di), r);
  VI h = hn::Sub(hn::ShiftRight<13>(mag), hn::Set(di, 112 << 10));  // normal: rebias 127 -> 15
  // Below 2^-14: the significand in units of 2^-24 (exact for HiF8 values).
  const VI sig = hn::Or(hn::And(mag, hn::Set(di, 0x7FFFFF)), hn::Set(di, 0x800000));
  // Clamped to [0, 31] in every lane (lanes of other magnitudes are discarded, but shift anyway).
  const VI shift = hn::Max(hn::Min(hn::Sub(hn::Set(di, 126), hn::ShiftRight<23>(mag)), hn::Set(di, 31)), hn::Zero(di));
  h = hn::IfThenElse(hn::Lt(mag, hn::Set(di, 0x38800000)), sig >> shift, h);
  h = hn::IfThenElseZero(hn::Ne(mag, hn::Zero(di)), h);
  h = hn::IfThenElse(hn::Eq(mag, inf), hn::Set(di, 0x7C00), h);
  h = hn::IfThenElse(hn::Gt(mag, inf), hn::Set(di, 0x7E00), h);
  hn::StoreU(hn::DemoteTo(d16, hn::Or(h, sign)), d16, reinterpret_cast<uint16_t*>(p));
}

// A HiF8 value as bfloat16 bits: exact truncation (NaN 0x7FC00000 -> 0x7FC0).
HWY_INLINE void StoreBits(DI di, VI r, bfloat16* p) {
  const hn::Rebind<uint16_t, DI> d16;
  const VI b = hn::And(hn::ShiftRight<16>(r), hn::Set(di, 0xFFFF));
  hn::StoreU(hn::DemoteTo(d16, b), d16, reinterpret_cast<uint16_t*>(p));
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
