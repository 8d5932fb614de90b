// Internal: the vector form of add_double_toward_zero (round_toward_zero.h),
// per Highway target. Include after hwy/highway.h inside a foreach_target
// translation unit; defines AddTruncFp32 and kVectorTrunc in
// hifloat::kernels::HWY_NAMESPACE.
#if defined(HIFLOAT_KERNELS_ROUND_TOWARD_ZERO_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HIFLOAT_KERNELS_ROUND_TOWARD_ZERO_INL_H_
#undef HIFLOAT_KERNELS_ROUND_TOWARD_ZERO_INL_H_
#else
#define HIFLOAT_KERNELS_ROUND_TOWARD_ZERO_INL_H_
#endif

#include <cfloat>

#include "hwy/highway.h"
#include "kernels/round_toward_zero.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace rz_hn = hwy::HWY_NAMESPACE;

// Needs IEEE fp64 → fp32 conversion (Highway's emulated DemoteTo on the SSE and
// scalar targets saturates to ±FLT_MAX); other targets take the scalar form.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
constexpr bool kVectorTrunc = true;

// p[l] = RZ32(p[l] + s[l]) for every lane, as add_double_toward_zero. The step
// toward zero from a float32 f is RN32(f·(1 − 2^-24)): the product is exact
// in fp64 and lies more than half an ulp below |f|, or exactly one ulp when |f|
// is a power of two. That needs f and its predecessor normal and finite, so
// lanes with 0 < |acc + s| < 2^-125, |acc + s| > FLT_MAX or a NaN (non-finite
// operands) are redone by the scalar form.
template <class DD>
HWY_INLINE void AddTruncFp32(DD d, rz_hn::Vec<DD> s, float* p) {
  const rz_hn::Rebind<float, DD> dh;
  const auto a = rz_hn::PromoteTo(d, rz_hn::LoadU(dh, p));
  const auto t = rz_hn::Add(a, s);
  const auto bb = rz_hn::Sub(t, a);
  const auto err = rz_hn::Add(rz_hn::Sub(a, rz_hn::Sub(t, bb)), rz_hn::Sub(s, bb));  // TwoSum
  const auto fd = rz_hn::PromoteTo(d, rz_hn::DemoteTo(dh, t));
  const auto zero = rz_hn::Zero(d);
  const auto err_inward = rz_hn::Or(rz_hn::And(rz_hn::Gt(t, zero), rz_hn::Lt(err, zero)),
                                    rz_hn::And(rz_hn::Lt(t, zero), rz_hn::Gt(err, zero)));
  const auto too_far = rz_hn::Or(rz_hn::Gt(rz_hn::Abs(fd), rz_hn::Abs(t)), rz_hn::And(rz_hn::Eq(fd, t), err_inward));
  const auto pred = rz_hn::PromoteTo(d, rz_hn::DemoteTo(dh, rz_hn::Mul(fd, rz_hn::Set(d, 1.0 - 0x1p-24))));
  const auto abs_t = rz_hn::Abs(t);
  const auto safe = rz_hn::Or(rz_hn::Eq(t, zero), rz_hn::And(rz_hn::Ge(abs_t, rz_hn::Set(d, 0x1p-125)),
                                                             rz_hn::Le(abs_t, rz_hn::Set(d, double{FLT_MAX}))));
  if (HWY_LIKELY(rz_hn::AllTrue(d, safe))) {
    rz_hn::StoreU(rz_hn::DemoteTo(dh, rz_hn::IfThenElse(too_far, pred, fd)), dh, p);
    return;
  }
  alignas(64) double sl[rz_hn::MaxLanes(DD())];
  rz_hn::Store(s, d, sl);
  for (size_t l = 0; l < rz_hn::Lanes(d); ++l) p[l] = add_double_toward_zero(p[l], sl[l]);
}
#else
constexpr bool kVectorTrunc = false;
template <class DD>
HWY_INLINE void AddTruncFp32(DD d, rz_hn::Vec<DD> s, float* p) {
  alignas(64) double sl[rz_hn::MaxLanes(DD())];
  rz_hn::Store(s, d, sl);
  for (size_t l = 0; l < rz_hn::Lanes(d); ++l) p[l] = add_double_toward_zero(p[l], sl[l]);
}
#endif

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
