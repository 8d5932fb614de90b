// int8 / int4 kernels (spec/BASELINES.md §7, §8), compiled once per Highway
// target. Same arithmetic as src/formats/int8.cc and int4.cc:
//   - a NaN in the block (int8: the whole line): NaN scale, codes 0;
//   - scale from the finite amax: int8 s = amax/127 (fp32), int4
//     d = RNE_fp16(amax/7) with fp16 overflow -> 65504; a zero scale -> 1;
//   - q = clamp(RNE(x / s), -qmax, qmax): one fp32 division, clamp, then
//     round half to even (hn::Round, independent of the rounding mode);
//   - decoding: q · s in fp32.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/int_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "hifloat/ieee16.h"
#include "kernels/lane_block_driver.h"
#include "kernels/lane_block_macros.h"
#include "kernels/lane_blocks-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// QMAX 127 (int8: fp32 scale, 8-bit codes) or 7 (int4: fp16 scale, nibbles).
template <int QMAX>
struct SymmetricIntPolicy {
  static constexpr bool kInt4 = QMAX == 7;
  static constexpr bool kNanFill = false;  // decoding is q·s even for a NaN scale
  static constexpr bool kFiniteMax = true;
  int64_t block;
  int width = kInt4 ? 4 : 8;
  int scale_bytes = kInt4 ? 2 : 4;
  explicit SymmetricIntPolicy(const BlockParams& p) : block(p.block) {}

  void Scales(DI di, VI amax, VI fmax, VI& scale, VF& qparam, VF& dparam, MI& nan) const {
    const DF df;
    nan = hn::Gt(amax, hn::Set(di, 0x7F800000));
    const VF q = hn::Div(AsFloat(fmax), hn::Set(df, static_cast<float>(QMAX)));  // RN32(amax / qmax)
    VF s;
    if constexpr (kInt4) {
      // d = RNE_fp16(q): per block, with the reference's conversion.
      HWY_ALIGN float qs[kBlockMaxLanes];
      HWY_ALIGN int32_t bits[kBlockMaxLanes];
      hn::Store(q, df, qs);
      for (size_t j = 0; j < hn::Lanes(di); ++j) {
        uint16_t d = float_to_half_bits(qs[j]);
        if (d == 0x7C00) d = 0x7BFF;  // fp16 overflow: 65504
        if (d == 0) d = 0x3C00;       // zero: 1
        bits[j] = d;
      }
      const VI d = hn::Load(di, bits);
      scale = hn::IfThenElse(nan, hn::Set(di, 0x7E00), d);
      s = AsFloat(HalfToFloatBits(di, d));
    } else {
      s = hn::IfThenElse(hn::Eq(q, hn::Zero(df)), hn::Set(df, 1.0f), q);
      scale = hn::IfThenElse(nan, hn::Set(di, 0x7FC00000), AsBits(s));
    }
    qparam = s;
    dparam = s;
  }

  VI Encode(DI di, VI x, VF s) const {
    const DF df;
    const VF lim = hn::Set(df, static_cast<float>(QMAX));
    const VF v = hn::Min(hn::Max(hn::Div(AsFloat(x), s), hn::Neg(lim)), lim);
    return hn::And(hn::ConvertTo(di, hn::Round(v)), hn::Set(di, kInt4 ? 0xF : 0xFF));
  }

  VF Decode(DI /*di*/, VI code, VF s) const {
    const DF df;
    const VI q = kInt4 ? hn::ShiftRight<28>(hn::ShiftLeft<28>(code)) : hn::ShiftRight<24>(hn::ShiftLeft<24>(code));
    return hn::Mul(hn::ConvertTo(df, q), s);
  }

  void DecodeScales(DI di, VI sc, VF& dparam, MI& nan) const {
    nan = hn::Lt(sc, hn::Zero(di));  // unused: kNanFill is false
    dparam = kInt4 ? AsFloat(HalfToFloatBits(di, sc)) : AsFloat(sc);
  }
};

using Int8Policy = SymmetricIntPolicy<127>;
using Int4Policy = SymmetricIntPolicy<7>;

HIFLOAT_BLOCK_TARGET_FUNCTIONS(Int8, Int8Policy)
HIFLOAT_BLOCK_TARGET_FUNCTIONS(Int4, Int4Policy)

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <string>

#include "kernels/int_kernels.h"

namespace hifloat::kernels {

HIFLOAT_BLOCK_EXPORTS(Int8)
HIFLOAT_BLOCK_EXPORTS(Int4)

namespace {

int64_t int4_group(const FormatSpec& format) { return std::stoll(format.option("group")); }

BlockParams int_params(int64_t block) {
  BlockParams p;
  p.block = block;
  return p;
}

}  // namespace

void int8_encode(const FormatSpec&, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 int threads) {
  const BlockGrid g(shape, axis, 0);
  run_encode(Int8_kernels(), int_params(g.block), g, 4 + static_cast<size_t>(g.block), x, out.data(), threads);
}

void int8_fake_quant(const FormatSpec&, const float* x, const Shape& shape, int axis, float* out, int threads) {
  const BlockGrid g(shape, axis, 0);
  run_fake_quant(Int8_kernels(), int_params(g.block), g, x, out, threads);
}

void int8_decode(const FormatSpec&, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                 int threads) {
  const BlockGrid g(shape, axis, 0);
  run_decode(Int8_kernels(), int_params(g.block), g, 4 + static_cast<size_t>(g.block), in.data(), out, threads);
}

void int4_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                 int threads) {
  const int64_t G = int4_group(format);
  run_encode(Int4_kernels(), int_params(G), BlockGrid(shape, axis, G), 2 + static_cast<size_t>(G) / 2, x,
             out.data(), threads);
}

void int4_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                     int threads) {
  const int64_t G = int4_group(format);
  run_fake_quant(Int4_kernels(), int_params(G), BlockGrid(shape, axis, G), x, out, threads);
}

void int4_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                 int threads) {
  const int64_t G = int4_group(format);
  run_decode(Int4_kernels(), int_params(G), BlockGrid(shape, axis, G), 2 + static_cast<size_t>(G) / 2, in.data(),
             out, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
