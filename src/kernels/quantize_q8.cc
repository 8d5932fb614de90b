// The activation quantisation of docs/matmul.md §7 (int8 per 64 values), on
// every Highway target: the same steps as reference_quantize_activations_q8
// (src/core/matmul_q8.cc) — d = fp32(amax / 127) once per block, then per
// value one IEEE division, clamp, round half to even (hn::Round), clamp to
// ±127 — so the codes and scales are identical. The scalar loop costs ~10
// cycles a value (a division and two clamps the compiler does not vectorise),
// which at M = 1 and N in the hundreds is a large share of a q8 GEMV.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/matmul_operands.h"
#include "hifloat/matmul.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/quantize_q8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One full block of kQ8Block values.
HWY_INLINE void QuantizeBlock(const float* a, int8_t* q, float* d) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const size_t N = hn::Lanes(df);
  auto amax = hn::Zero(df);
  auto nonfinite = hn::FirstN(df, 0);
  for (size_t i = 0; i < kQ8Block; i += N) {
    const auto x = hn::LoadU(df, a + i);
    amax = hn::Max(amax, hn::Abs(x));
    nonfinite = hn::Or(nonfinite, hn::Not(hn::IsFinite(x)));
  }
  const float db = hn::GetLane(hn::MaxOfLanes(df, amax)) / 127.0f;
  const bool finite = hn::AllFalse(df, nonfinite);
  *d = finite ? db : std::numeric_limits<float>::quiet_NaN();
  if (!finite || db == 0.0f) {
    std::fill_n(q, kQ8Block, int8_t{0});
    return;
  }
  const auto vd = hn::Set(df, db);
  const auto lim = hn::Set(df, 127.0f);
  for (size_t i = 0; i < kQ8Block; i += N) {
    // |a/d| can exceed 127 only when d is a subnormal that amax/127 rounded
    // down; the clamp before rounding equals the reference's clamp after it.
    const auto r = hn::Min(hn::Max(hn::Div(hn::LoadU(df, a + i), vd), hn::Neg(lim)), lim);
    hn::StoreU(hn::DemoteTo(d8, hn::ConvertTo(di, hn::Round(r))), d8, q + i);
  }
}

void QuantizeQ8(const float* a, int64_t k, int8_t* q, float* d) {
  const int64_t full = k / kQ8Block;
  for (int64_t b = 0; b < full; ++b) QuantizeBlock(a + b * kQ8Block, q + b * kQ8Block, d + b);
  if (full * kQ8Block < k) {  // the zero-padded tail block: zeros change neither amax nor the codes
    alignas(64) float tail[kQ8Block] = {};
    const int64_t start = full * kQ8Block;
    for (int64_t i = start; i < k; ++i) tail[i - start] = a[i];
    QuantizeBlock(tail, q + start, d + full);
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hifloat::kernels {

HWY_EXPORT(QuantizeQ8);

void quantize_activations_q8(const float* a, int64_t k, int8_t* q, float* d) {
  HWY_DYNAMIC_DISPATCH(QuantizeQ8)(a, k, q, d);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
