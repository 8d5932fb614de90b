// Round-to-nearest-even of scaled fp32 magnitudes onto a small element grid
// (E2M1 ... E5M2, or mxint8's fixed point) in int32 lanes, exactly: the fp32
// bits are shifted and rounded as integers (independent of FTZ/DAZ), as in
// fp8_kernels.cc, with the block's power-of-two scale 2^se folded into the
// exponent. Shared by the MX and NVFP4 kernels; included once per target.
#if defined(HIFLOAT_KERNELS_GRID_ROUND_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HIFLOAT_KERNELS_GRID_ROUND_INL_H_
#undef HIFLOAT_KERNELS_GRID_ROUND_INL_H_
#else
#define HIFLOAT_KERNELS_GRID_ROUND_INL_H_
#endif

#include <hwy/highway.h>

#include "kernels/block_kernels.h"
#include "kernels/convert-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Magnitude code of A = |x| · 2^−se on grid g, for a = the fp32 bits of |x|
// (finite). Saturates at g.max_code. Precondition: an fp32 subnormal |x| never
// lands in the grid's normal range (callers fall back to the scalar codec for
// blocks with se <= bias − 127, where it could).
//   - normal A: the fp32 pattern rounded at bit 23 − M (RNE: add half − 1 +
//     lsb, then shift; a carry is exactly the next binade), then rebiased;
//   - below the grid's normals: the 24-bit significand shifted right by
//     150 + quantum_exp − (fp32 exponent of A), rounded the same way (shifts
//     of 26 and more give 0; 25 with significand 0xFFFFFF is v = 0.5 − 2^−25,
//     the RNE* artefact that gives 1 when g.artefact).
HWY_INLINE VI GridCodes(DI di, VI a, int se, const detail::GridParams& g) {
  const VI one = hn::Set(di, 1);
  const VI field = hn::ShiftRight<23>(a);
  const VI fa = hn::Sub(hn::Max(field, one), hn::Set(di, se));  // fp32 exponent field of A (fp32 subnormals: 1)
  const VI mant = hn::And(a, hn::Set(di, 0x7FFFFF));
  const VI sig = hn::IfThenElse(hn::Eq(field, hn::Zero(di)), mant, hn::Or(mant, hn::Set(di, 0x800000)));
  const auto normal = GeI(fa, hn::Set(di, g.normal_field));
  const VI raw_shift = hn::Sub(hn::Set(di, 150 + g.quantum_exp), fa);
  const VI sub_shift = hn::Max(hn::Min(raw_shift, hn::Set(di, 26)), one);
  const VI shift = hn::IfThenElse(normal, hn::Set(di, 23 - g.mbits), sub_shift);
  const VI v = hn::IfThenElse(normal, a, sig);
  const VI lsb = hn::And(v >> shift, one);
  const VI half_minus_one = hn::Sub(one << hn::Sub(shift, one), one);
  VI code = hn::Add(hn::Add(v, half_minus_one), lsb) >> shift;
  code = hn::IfThenElse(normal, hn::Sub(code, hn::Set(di, (g.normal_field - 1 + se) << g.mbits)), code);
  if (g.artefact) {
    const auto star = hn::And(hn::Eq(sig, hn::Set(di, 0xFFFFFF)), hn::Eq(raw_shift, hn::Set(di, 25)));
    code = hn::IfThenElse(star, one, code);
  }
  return hn::Min(code, hn::Set(di, g.max_code));
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
