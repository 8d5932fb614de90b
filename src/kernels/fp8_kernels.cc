// OCP FP8 E4M3 / E5M2 encode, decode and fake-quant kernels (spec/BASELINES.md
// §5, §6), compiled once per Highway target and dispatched at run time. They
// equal the scalar reference of include/hifloat/fp8.h bit for bit.
//
// Encoding rounds |x| to nearest, ties to even, in float32 bit arithmetic
// (int32 lanes: exact, independent of the FPU's rounding and FTZ/DAZ modes):
//   - normals: the code is the float32 pattern shifted right by 23 - M with
//     the exponent rebiased; RNE is "add half - 1 + lsb, then shift", and a
//     carry into the exponent is exactly the next binade;
//   - subnormals: the 24-bit significand shifted by the extra binades below
//     the smallest normal, rounded the same way (reaching 2^M is the smallest
//     normal code, as it should);
//   - codes above the largest finite one (and +-Inf) take the overflow code,
//     NaN the NaN code; the sign bit of x is always kept (-0 -> 0x80).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fp8_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hifloat/fp8.h"
#include "hifloat/ieee16.h"
#include "kernels/convert-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Codes of float32 bits x for a layout with M mantissa bits and bias B.
template <int M, int B>
HWY_INLINE VI Fp8Codes(DI di, VI x, VI max_code, VI ovf_code, VI nan_code) {
  constexpr int kMinNormalField = 127 + 1 - B;  // float32 exponent field of the smallest normal
  const VI one = hn::Set(di, 1);
  const VI sign = hn::And(hn::ShiftRight<24>(x), hn::Set(di, 0x80));
  const VI a = hn::AndNot(hn::SignBit(di), x);
  const VI ac = hn::Min(a, hn::Set(di, 0x7F000000));  // keeps +-Inf and huge values in range: they overflow
  const VI field = hn::ShiftRight<23>(ac);
  const auto normal = GeI(field, hn::Set(di, kMinNormalField));
  const VI sig = hn::Or(hn::And(ac, hn::Set(di, 0x7FFFFF)), hn::Set(di, 0x800000));
  const VI v = hn::IfThenElse(normal, ac, sig);
  // Subnormals: 23 - M bits plus one per binade below the smallest normal;
  // from 25 on everything rounds to 0 (v < 2^24), so clamp there.
  const VI sub_shift = hn::Min(hn::Sub(hn::Set(di, 23 - M + kMinNormalField), field), hn::Set(di, 25));
  const VI shift = hn::IfThenElse(normal, hn::Set(di, 23 - M), sub_shift);
  const VI lsb = hn::And(v >> shift, one);
  const VI half_minus_one = hn::Sub(one << hn::Sub(shift, one), one);
  VI code = hn::Add(hn::Add(v, half_minus_one), lsb) >> shift;
  code = hn::IfThenElse(normal, hn::Sub(code, hn::Set(di, (127 - B) << M)), code);
  code = hn::IfThenElse(hn::Gt(code, max_code), ovf_code, code);
  code = hn::IfThenElse(hn::Gt(a, hn::Set(di, 0x7F800000)), nan_code, code);
  return hn::Or(code, sign);
}

constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(int32_t);

// Encode (Out = uint8_t) or fake-quantise (Out = In), M/B the layout, `table`
// the layout's code -> float32 bits decode table.
template <int M, int B, typename In, typename Out>
void Fp8Range(const In* HWY_RESTRICT in, Out* HWY_RESTRICT out, size_t n, uint8_t max_code, uint8_t ovf_code,
              uint8_t nan_code, const uint32_t* table) {
  const DI di;
  const hn::RebindToUnsigned<DI> du;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  const VI max_v = hn::Set(di, max_code), ovf_v = hn::Set(di, ovf_code), nan_v = hn::Set(di, nan_code);
  const auto step = [&](const In* src, Out* dst) {
    const VI code = Fp8Codes<M, B>(di, LoadBits(di, src), max_v, ovf_v, nan_v);
    if constexpr (std::is_same_v<Out, uint8_t>) {
      hn::StoreU(hn::DemoteTo(d8, code), d8, dst);
    } else {
      StoreBits(di, hn::BitCast(di, hn::GatherIndex(du, table, code)), dst);
    }
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) step(in + i, out + i);
  if (i < n) {
    In tail_in[kMaxLanes] = {};
    Out tail_out[kMaxLanes];
    std::copy(in + i, in + n, tail_in);
    step(tail_in, tail_out);
    std::copy(tail_out, tail_out + (n - i), out + i);
  }
}

template <typename Out>
void Fp8DecodeRange(const uint8_t* HWY_RESTRICT in, Out* HWY_RESTRICT out, size_t n, const uint32_t* table) {
  const DI di;
  const hn::RebindToUnsigned<DI> du;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  const auto step = [&](const uint8_t* src, Out* dst) {
    StoreBits(di, hn::BitCast(di, hn::GatherIndex(du, table, hn::PromoteTo(di, hn::LoadU(d8, src)))), dst);
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

template <typename In, typename Out>
void E4M3(const In* in, Out* out, size_t n, bool overflow_nan) {
  using namespace fp8_detail;
  Fp8Range<3, 7>(in, out, n, kE4M3.max_code, overflow_nan ? kE4M3.nan_code : kE4M3.max_code, kE4M3.nan_code,
                 kE4M3Table.data());
}
template <typename In, typename Out>
void E5M2(const In* in, Out* out, size_t n, bool overflow_saturate) {
  using namespace fp8_detail;
  Fp8Range<2, 15>(in, out, n, kE5M2.max_code, overflow_saturate ? kE5M2.max_code : kE5M2.inf_code, kE5M2.nan_code,
                  kE5M2Table.data());
}

// Exported entry points. `flag`: E4M3 overflow=nan, E5M2 overflow=saturate.
#define HIFLOAT_FP8_TARGET_FUNCTIONS(NAME, IMPL, T, SUFFIX)                                              \
  void NAME##Encode##SUFFIX(const T* in, uint8_t* out, size_t n, bool flag) { IMPL(in, out, n, flag); } \
  void NAME##FakeQuant##SUFFIX(const T* in, T* out, size_t n, bool flag) { IMPL(in, out, n, flag); }    \
  void NAME##Decode##SUFFIX(const uint8_t* in, T* out, size_t n) {                                      \
    Fp8DecodeRange(in, out, n, fp8_detail::k##NAME##Table.data());                                       \
  }
HIFLOAT_FP8_TARGET_FUNCTIONS(E4M3, E4M3, float, F32)
HIFLOAT_FP8_TARGET_FUNCTIONS(E4M3, E4M3, float16, F16)
HIFLOAT_FP8_TARGET_FUNCTIONS(E4M3, E4M3, bfloat16, BF16)
HIFLOAT_FP8_TARGET_FUNCTIONS(E5M2, E5M2, float, F32)
HIFLOAT_FP8_TARGET_FUNCTIONS(E5M2, E5M2, float16, F16)
HIFLOAT_FP8_TARGET_FUNCTIONS(E5M2, E5M2, bfloat16, BF16)
#undef HIFLOAT_FP8_TARGET_FUNCTIONS

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/fp8_kernels.h"
#include "kernels/thread_pool.h"

namespace hifloat::kernels {

#define HIFLOAT_FP8_DISPATCH(NAME, LNAME, OVERFLOW, FLAG_EXPR, T, SUFFIX)                                             \
  HWY_EXPORT(NAME##Encode##SUFFIX);                                                                           \
  HWY_EXPORT(NAME##FakeQuant##SUFFIX);                                                                        \
  HWY_EXPORT(NAME##Decode##SUFFIX);                                                                           \
  void fp8_##LNAME##_encode(const T* in, uint8_t* out, size_t n, OVERFLOW overflow, int threads) {             \
    const bool flag = FLAG_EXPR;                                                                              \
    parallel_for(n, threads, [&](size_t b, size_t e) {                                                        \
      HWY_DYNAMIC_DISPATCH(NAME##Encode##SUFFIX)(in + b, out + b, e - b, flag);                              \
    });                                                                                                       \
  }                                                                                                           \
  void fp8_##LNAME##_fake_quant(const T* in, T* out, size_t n, OVERFLOW overflow, int threads) {               \
    const bool flag = FLAG_EXPR;                                                                              \
    parallel_for(n, threads, [&](size_t b, size_t e) {                                                        \
      HWY_DYNAMIC_DISPATCH(NAME##FakeQuant##SUFFIX)(in + b, out + b, e - b, flag);                           \
    });                                                                                                       \
  }                                                                                                           \
  void fp8_##LNAME##_decode(const uint8_t* in, T* out, size_t n, int threads) {                                \
    parallel_for(n, threads, [&](size_t b, size_t e) {                                                        \
      HWY_DYNAMIC_DISPATCH(NAME##Decode##SUFFIX)(in + b, out + b, e - b);                                    \
    });                                                                                                       \
  }
HIFLOAT_FP8_DISPATCH(E4M3, e4m3, E4M3Overflow, overflow == E4M3Overflow::kNaN, float, F32)
HIFLOAT_FP8_DISPATCH(E4M3, e4m3, E4M3Overflow, overflow == E4M3Overflow::kNaN, float16, F16)
HIFLOAT_FP8_DISPATCH(E4M3, e4m3, E4M3Overflow, overflow == E4M3Overflow::kNaN, bfloat16, BF16)
HIFLOAT_FP8_DISPATCH(E5M2, e5m2, E5M2Overflow, overflow == E5M2Overflow::kSaturate, float, F32)
HIFLOAT_FP8_DISPATCH(E5M2, e5m2, E5M2Overflow, overflow == E5M2Overflow::kSaturate, float16, F16)
HIFLOAT_FP8_DISPATCH(E5M2, e5m2, E5M2Overflow, overflow == E5M2Overflow::kSaturate, bfloat16, BF16)
#undef HIFLOAT_FP8_DISPATCH

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
