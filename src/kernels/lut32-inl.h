// A 32-entry table of int32 looked up per lane, kept in registers where the
// target allows: one vpermi2d on AVX-512, four vpermd and three blends on
// AVX2, a gather (hardware or emulated) elsewhere. Included once per target.
#if defined(HIFLOAT_KERNELS_LUT32_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HIFLOAT_KERNELS_LUT32_INL_H_
#undef HIFLOAT_KERNELS_LUT32_INL_H_
#else
#define HIFLOAT_KERNELS_LUT32_INL_H_
#endif

#include <cstdint>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

class Lut32 {
 public:
  using DI = hn::ScalableTag<int32_t>;
  using VI = hn::Vec<DI>;

  explicit Lut32(const int32_t* table) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    lo_ = hn::LoadU(DI(), table);
    hi_ = hn::LoadU(DI(), table + 16);
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
    for (int i = 0; i < 4; ++i) t_[i] = hn::LoadU(DI(), table + 8 * i);
#else
    table_ = table;
#endif
  }

  // table[idx] for idx in [0, 32) (other indices: an unspecified entry).
  HWY_INLINE VI operator()(VI idx) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    return VI{_mm512_permutex2var_epi32(lo_.raw, idx.raw, hi_.raw)};
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
    const DI di;
    const auto i8 = hn::IndicesFromVec(di, hn::And(idx, hn::Set(di, 7)));
    const VI bit3 = hn::ShiftLeft<28>(idx), bit4 = hn::ShiftLeft<27>(idx);  // selector bits to the sign
    const VI lo = hn::IfNegativeThenElse(bit3, hn::TableLookupLanes(t_[1], i8), hn::TableLookupLanes(t_[0], i8));
    const VI hi = hn::IfNegativeThenElse(bit3, hn::TableLookupLanes(t_[3], i8), hn::TableLookupLanes(t_[2], i8));
    return hn::IfNegativeThenElse(bit4, hi, lo);
#else
    const DI di;
    return hn::GatherIndex(di, table_, hn::And(idx, hn::Set(di, 31)));
#endif
  }

 private:
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  VI lo_, hi_;
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
  VI t_[4];
#else
  const int32_t* table_;
#endif
};

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
