// MX kernels (spec/BASELINES.md §4), compiled once per Highway target. Same
// results as src/formats/mx.cc:
//   - NaN or ±Inf in a block: scale 0xFF, codes 0;
//   - E = floor(RN32(log2 amax)) from the exponent bits and a per-binade
//     threshold table (mx_shared_exponent_bits; the "N(k) largest values below
//     a power of two" of §4.2 step 3), -126 for an all-zero block;
//     se = max(E - emax, -127), a NaN block above 127;
//   - elements: A = |x|·2^-se (one fp32 multiplication by a power of two:
//     exact unless A < 2^-126, which quantises to 0 either way, §4.3), RNE*
//     onto the element grid in integer arithmetic (GridCode, with the
//     0x3EFFFFFF artefact), saturated at maxnorm;
//   - decoding: ±value · 2^se, one fp32 multiplication, so E = 128 gives ±Inf
//     exactly as the reference's ldexp does.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/mx_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "kernels/block_driver.h"
#include "kernels/block_kernel_macros.h"
#include "kernels/block_simd-inl.h"
#include "kernels/mx_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Element types of §4.1. kSpecials: 0 none, 1 E4M3 (0x7F NaN), 2 E5M2 (exponent all ones: Inf/NaN).
template <int M, int EMIN, int BIAS, int MAXCODE, int EMAX, int WIDTH, bool IS_INT, int SPECIALS>
struct MxPolicy {
  static constexpr bool kNanFill = true;
  static constexpr bool kFiniteMax = false;
  int64_t block = 32;
  int width = WIDTH;
  int scale_bytes = 1;
  explicit MxPolicy(const BlockParams&) {}

  // §4.2: scalar per block (one lane each): the exponent comes from a table.
  void Scales(DI di, VI amax, VI /*fmax*/, VI& scale, VF& qparam, VF& dparam, MI& nan) const {
    HWY_ALIGN int32_t a[kBlockMaxLanes], sc[kBlockMaxLanes], q[kBlockMaxLanes], d[kBlockMaxLanes];
    hn::Store(amax, di, a);
    for (size_t j = 0; j < hn::Lanes(di); ++j) {
      const uint32_t bits = static_cast<uint32_t>(a[j]);
      sc[j] = 0xFF;
      q[j] = d[j] = 0x3F800000;
      if (bits >= 0x7F800000u) continue;  // NaN or ±Inf: NaN block
      const int e = bits == 0 ? -126 : mx_shared_exponent_bits(bits);
      const int se = std::max(e - EMAX, -127);
      if (se > 127) continue;  // only mxint8 near FLT_MAX
      sc[j] = se + 127;
      q[j] = static_cast<int32_t>(pow2_bits(-se));
      d[j] = static_cast<int32_t>(pow2_bits(se));
    }
    scale = hn::Load(di, sc);
    nan = hn::Eq(scale, hn::Set(di, 0xFF));
    qparam = AsFloat(hn::Load(di, q));
    dparam = AsFloat(hn::Load(di, d));
  }

  VI Encode(DI di, VI x, VF inv_scale) const {
    const VI a = AsBits(hn::Mul(AsFloat(hn::AndNot(hn::SignBit(di), x)), inv_scale));  // A = |x|·2^-se
    if constexpr (IS_INT) {
      // v = A·64 rounded RNE* to an integer: a grid with quantum 2^-6 throughout.
      const VI n = hn::Min(GridCode<7, 1, true>(di, a), hn::Set(di, 127));
      const auto neg = hn::Lt(x, hn::Zero(di));
      return hn::IfThenElse(neg, hn::And(hn::Neg(n), hn::Set(di, 0xFF)), n);  // -0 becomes 0
    } else {
      const VI mag = hn::Min(GridCode<M, EMIN, true>(di, a), hn::Set(di, MAXCODE));
      return hn::Or(mag, hn::And(hn::ShiftRight<32 - WIDTH>(x), hn::Set(di, 1 << (WIDTH - 1))));
    }
  }

  VF Decode(DI di, VI code, VF pow2_se) const {
    const DF df;
    if constexpr (IS_INT) {
      const VF n = hn::ConvertTo(df, hn::ShiftRight<24>(hn::ShiftLeft<24>(code)));  // two's complement byte
      return hn::Mul(hn::Mul(n, hn::Set(df, 1.0f / 64.0f)), pow2_se);
    } else {
      const VI mag = hn::And(code, hn::Set(di, (1 << (WIDTH - 1)) - 1));
      VI v = AsBits(GridValue<M, BIAS>(di, mag));
      if constexpr (SPECIALS == 1) {
        v = hn::IfThenElse(hn::Eq(mag, hn::Set(di, 0x7F)), hn::Set(di, 0x7FC00000), v);
      } else if constexpr (SPECIALS == 2) {
        const auto top = hn::Eq(hn::ShiftRight<M>(mag), hn::Set(di, 31));
        const VI special = hn::IfThenElse(hn::Eq(hn::And(mag, hn::Set(di, 3)), hn::Zero(di)),
                                          hn::Set(di, 0x7F800000), hn::Set(di, 0x7FC00000));
        v = hn::IfThenElse(top, special, v);
      }
      const VI sign = hn::ShiftLeft<32 - WIDTH>(hn::And(code, hn::Set(di, 1 << (WIDTH - 1))));
      return hn::Mul(AsFloat(hn::Xor(v, sign)), pow2_se);
    }
  }

  void DecodeScales(DI di, VI sc, VF& dparam, MI& nan) const {
    nan = hn::Eq(sc, hn::Set(di, 0xFF));
    // 2^(code - 127); code 0 is the subnormal 2^-127.
    dparam = AsFloat(hn::IfThenElse(hn::Eq(sc, hn::Zero(di)), hn::Set(di, 0x00400000), hn::ShiftLeft<23>(sc)));
  }
};

using MxFp4Policy = MxPolicy<1, 0, 1, 0x7, 2, 4, false, 0>;
using MxFp6E2M3Policy = MxPolicy<3, 0, 1, 0x1F, 2, 6, false, 0>;
using MxFp6E3M2Policy = MxPolicy<2, -2, 3, 0x1F, 4, 6, false, 0>;
using MxFp8E4M3Policy = MxPolicy<3, -6, 7, 0x7E, 8, 8, false, 1>;
using MxFp8E5M2Policy = MxPolicy<2, -14, 15, 0x7B, 15, 8, false, 2>;
using MxInt8Policy = MxPolicy<0, 0, 0, 0, 0, 8, true, 0>;

HIFLOAT_BLOCK_TARGET_FUNCTIONS(MxFp4, MxFp4Policy)
HIFLOAT_BLOCK_TARGET_FUNCTIONS(MxFp6E2M3, MxFp6E2M3Policy)
HIFLOAT_BLOCK_TARGET_FUNCTIONS(MxFp6E3M2, MxFp6E3M2Policy)
HIFLOAT_BLOCK_TARGET_FUNCTIONS(MxFp8E4M3, MxFp8E4M3Policy)
HIFLOAT_BLOCK_TARGET_FUNCTIONS(MxFp8E5M2, MxFp8E5M2Policy)
HIFLOAT_BLOCK_TARGET_FUNCTIONS(MxInt8, MxInt8Policy)

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <array>
#include <bit>
#include <cmath>
#include <string>

#include "formats/bitpack.h"

namespace hifloat::kernels {

HIFLOAT_BLOCK_EXPORTS(MxFp4)
HIFLOAT_BLOCK_EXPORTS(MxFp6E2M3)
HIFLOAT_BLOCK_EXPORTS(MxFp6E3M2)
HIFLOAT_BLOCK_EXPORTS(MxFp8E4M3)
HIFLOAT_BLOCK_EXPORTS(MxFp8E5M2)
HIFLOAT_BLOCK_EXPORTS(MxInt8)

namespace {

// floor(RN32(log2 a)) as §4.2 defines it (the same expression as the reference).
int log2_exponent(uint32_t bits) {
  return static_cast<int>(std::floor(static_cast<float>(std::log2(static_cast<double>(std::bit_cast<float>(bits))))));
}

// For each binade [2^e, 2^(e+1)) of fp32 (e = -149 .. 127, subnormal binades
// included): the smallest bit pattern whose E is e + 1, or 0xFFFFFFFF. E is
// monotonic in the value, so a binary search over the binade finds it.
std::array<uint32_t, 277> build_thresholds() {
  std::array<uint32_t, 277> t{};
  for (int e = -149; e <= 127; ++e) {
    const uint32_t lo = pow2_bits(e);
    const uint32_t hi = e == 127 ? 0x7F7FFFFFu : pow2_bits(e + 1) - 1;
    if (log2_exponent(hi) <= e) {
      t[static_cast<size_t>(e + 149)] = 0xFFFFFFFFu;
      continue;
    }
    uint32_t l = lo, h = hi;  // log2_exponent(h) > e
    while (l < h) {
      const uint32_t mid = l + (h - l) / 2;
      if (log2_exponent(mid) > e) h = mid;
      else l = mid + 1;
    }
    t[static_cast<size_t>(e + 149)] = l;
  }
  return t;
}

struct MxKind {
  BlockKernelPtrs (*kernels)();
  int width;
};

MxKind mx_kind(const std::string& name) {
  if (name == "mxfp4") return {MxFp4_kernels, 4};
  if (name == "mxfp6_e2m3") return {MxFp6E2M3_kernels, 6};
  if (name == "mxfp6_e3m2") return {MxFp6E3M2_kernels, 6};
  if (name == "mxfp8_e4m3") return {MxFp8E4M3_kernels, 8};
  if (name == "mxfp8_e5m2") return {MxFp8E5M2_kernels, 8};
  return {MxInt8_kernels, 8};
}

BlockParams mx_params() {
  BlockParams p;
  p.block = 32;
  return p;
}

size_t mx_record_bytes(int width) { return 1 + packed_code_bytes(32, width); }

}  // namespace

int mx_shared_exponent_bits(uint32_t amax) {
  static const std::array<uint32_t, 277> thresholds = build_thresholds();
  const uint32_t field = amax >> 23;
  const int e = field != 0 ? static_cast<int>(field) - 127 : (31 - std::countl_zero(amax)) - 149;
  return e + (amax >= thresholds[static_cast<size_t>(e + 149)] ? 1 : 0);
}

bool mx_has_kernels(const std::string& name) {
  return name == "mxfp4" || name == "mxfp6_e2m3" || name == "mxfp6_e3m2" || name == "mxfp8_e4m3" ||
         name == "mxfp8_e5m2" || name == "mxint8";
}

void mx_encode(const FormatSpec& format, const float* x, const Shape& shape, int axis, std::span<uint8_t> out,
               int threads) {
  const MxKind k = mx_kind(format.name);
  run_encode(k.kernels(), mx_params(), BlockGrid(shape, axis, 32), mx_record_bytes(k.width), x, out.data(), threads);
}

void mx_fake_quant(const FormatSpec& format, const float* x, const Shape& shape, int axis, float* out, int threads) {
  run_fake_quant(mx_kind(format.name).kernels(), mx_params(), BlockGrid(shape, axis, 32), x, out, threads);
}

void mx_decode(const FormatSpec& format, std::span<const uint8_t> in, const Shape& shape, int axis, float* out,
               int threads) {
  const MxKind k = mx_kind(format.name);
  run_decode(k.kernels(), mx_params(), BlockGrid(shape, axis, 32), mx_record_bytes(k.width), in.data(), out, threads);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
