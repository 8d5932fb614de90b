// NVFP4 kernels (spec/BASELINES.md §2, §3), compiled once per Highway target.
// Same arithmetic as src/formats/nvfp4.cc, one fp32 operation per step:
//   tensor_scale=on:  g = amax/2688; s = E4M3(clamp(bmax/6/g, 2^-6, 448));
//                     T = g·s; elements E2M1(min(|x|/T, 6)) — real divisions;
//   tensor_scale=off: S = E4M3(min(bmax/6, 448)) (subnormals, 0 included);
//                     elements E2M1(min(|x|/S, 6)), 0 when S = 0.
// A block with a NaN gets scale code 0x7F and element codes 0.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/nvfp4_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "kernels/block_driver.h"
#include "kernels/block_kernel_macros.h"
#include "kernels/block_simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct Nvfp4Policy {
  static constexpr bool kNanFill = true;
  static constexpr bool kFiniteMax = false;
  int64_t block = 16;
  int width = 4;
  int scale_bytes = 1;
  bool tensor_scale;
  float g;
  explicit Nvfp4Policy(const BlockParams& p) : tensor_scale(p.tensor_scale), g(p.g) {}

  void Scales(DI di, VI amax, VI /*fmax*/, VI& scale, VF& qparam, VF& dparam, MI& nan) const {
    const DF df;
    nan = hn::Gt(amax, hn::Set(di, 0x7F800000));
    const VF bmax = AsFloat(hn::IfThenZeroElse(nan, amax));  // may be +Inf
    VF sc;
    if (tensor_scale) {
      const VF s_raw = hn::Div(hn::Div(bmax, hn::Set(df, 6.0f)), hn::Set(df, g));
      sc = hn::Min(hn::Max(s_raw, hn::Set(df, 0x1p-6f)), hn::Set(df, 448.0f));
    } else {
      sc = hn::Min(hn::Div(bmax, hn::Set(df, 6.0f)), hn::Set(df, 448.0f));
    }
    const VI code = hn::Min(GridCode<3, -6, false>(di, AsBits(sc)), hn::Set(di, 0x7E));
    const VF s = GridValue<3, 7>(di, code);
    const VF t = tensor_scale ? hn::Mul(hn::Set(df, g), s) : s;
    scale = hn::IfThenElse(nan, hn::Set(di, 0x7F), code);
    qparam = t;
    dparam = t;
  }

  VI Encode(DI di, VI x, VF t) const {
    const DF df;
    const VI a = hn::AndNot(hn::SignBit(di), x);
    const VF v = hn::Min(hn::Div(AsFloat(a), t), hn::Set(df, 6.0f));  // ±Inf gives 6
    VI mag = GridCode<1, 0, false>(di, AsBits(v));
    mag = hn::IfThenZeroElse(hn::RebindMask(di, hn::Eq(t, hn::Zero(df))), mag);  // T = 0: every code 0
    return hn::Or(mag, hn::And(hn::ShiftRight<28>(x), hn::Set(di, 8)));
  }

  VF Decode(DI di, VI code, VF t) const {
    const VF v = hn::Mul(GridValue<1, 1>(di, hn::And(code, hn::Set(di, 7))), t);
    return AsFloat(hn::Xor(AsBits(v), hn::ShiftLeft<28>(hn::And(code, hn::Set(di, 8)))));
  }

  void DecodeScales(DI di, VI sc, VF& dparam, MI& nan) const {
    const DF df;
    nan = hn::Eq(sc, hn::Set(di, 0x7F));
    const VF s = GridValue<3, 7>(di, hn::And(sc, hn::Set(di, 0x7F)));
    dparam = tensor_scale ? hn::Mul(hn::Set(df, g), s) : s;
  }
};

HIFLOAT_BLOCK_TARGET_FUNCTIONS(Nvfp4, Nvfp4Policy)

uint32_t Nvfp4AmaxBits(const float* x, size_t n) { return FiniteAmaxBits(x, n); }

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <atomic>
#include <bit>

#include "formats/little_endian.h"
#include "kernels/nvfp4_kernels.h"

namespace hifloat::kernels {

HIFLOAT_BLOCK_EXPORTS(Nvfp4)
HWY_EXPORT(Nvfp4AmaxBits);

namespace {

constexpr size_t kRecordBytes = 9;

BlockParams nvfp4_params(const FormatSpec& format) {
  BlockParams p;
  p.block = 16;
  p.tensor_scale = format.option("tensor_scale") == "on";
  return p;
}

}  // namespace

float nvfp4_tensor_scale(const float* x, size_t n, int threads) {
  // max is associative and commutative: any split gives the same amax.
  std::atomic<uint32_t> amax{0};
  parallel_for(static_cast<int64_t>(n), threads, kBlockGrainElements, [&](int64_t b, int64_t e) {
    const uint32_t m = HWY_DYNAMIC_DISPATCH(Nvfp4AmaxBits)(x + b, static_cast<size_t>(e - b));
    uint32_t cur = amax.load();
    while (m > cur && !amax.compare_exchange_weak(cur, m)) {
    }
  });
  float g = std::bit_cast<float>(amax.load()) / 2688.0f;  // §2 step 1
  if (g == 0.0f) g = 1.0f;
  return g;
}

void nvfp4_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
                  int threads) {
  BlockParams p = nvfp4_params(format);
  size_t header = 0;
  if (p.tensor_scale) {
    p.g = nvfp4_tensor_scale(x, static_cast<size_t>(num_elements(shape)), threads);
    store_f32_le(p.g, out.data());
    header = 4;
  }
  run_encode(Nvfp4_kernels(), p, BlockGrid(shape, axis, 16), kRecordBytes, x, out.data() + header, threads);
}

void nvfp4_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out,
                      int threads) {
  BlockParams p = nvfp4_params(format);
  if (p.tensor_scale) p.g = nvfp4_tensor_scale(x, static_cast<size_t>(num_elements(shape)), threads);
  run_fake_quant(Nvfp4_kernels(), p, BlockGrid(shape, axis, 16), x, out, threads);
}

bool nvfp4_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
                  int threads) {
  BlockParams p = nvfp4_params(format);
  size_t header = 0;
  if (p.tensor_scale) {
    p.g = load_f32_le(in.data());
    if (!(p.g > 0.0f) || !(p.g <= 3.4028235e38f)) return false;
    header = 4;
  }
  for (size_t r = header; r < in.size(); r += kRecordBytes) {
    if (in[r] & 0x80) return false;
  }
  run_decode(Nvfp4_kernels(), p, BlockGrid(shape, axis, 16), kRecordBytes, in.data() + header, out, threads);
  return true;
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
