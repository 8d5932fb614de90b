// NVFP4 fast path (spec/BASELINES.md §2 tensor_scale=on, §3 tensor_scale=off),
// compiled per Highway target and dispatched at run time; equal to Nvfp4Codec
// (src/formats/nvfp4.cc) bit for bit:
//   - the tensor amax (finite elements only) is an integer max over |x| bits,
//     vectorised and threaded; g = RN32(amax / 2688) as the reference;
//   - per block (scalar, once per 16 elements): NaN check and bmax from one
//     integer max, then the same fp32 divisions and clamps as the reference,
//     the E4M3 block scale rounded in integer arithmetic (RNE, as
//     minifloat_round_even);
//   - elements: a real fp32 division |x| / T per lane (IEEE-exact in every
//     Highway target), min(., 6), then RNE onto E2M1 with GridCodes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/nvfp4_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>

#include "kernels/block_kernels.h"
#include "kernels/convert-inl.h"
#include "kernels/grid_round-inl.h"

#ifndef HIFLOAT_KERNELS_NVFP4_PARAMS_
#define HIFLOAT_KERNELS_NVFP4_PARAMS_
namespace hifloat::kernels::detail {

constexpr size_t kNvBlock = 16;
constexpr size_t kNvRecordBytes = 1 + kNvBlock / 2;
constexpr uint8_t kNvNanScale = 0x7F;
// E2M1 as a GridParams: M = 1, emin = 0, quantum 2^−1, codes up to 7 (= 6.0).
constexpr GridParams kE2M1Grid{1, 127, -1, 7, false};

// RNE of a finite fp32 value 0 <= s <= 448 onto E4M3 (subnormals included),
// in integer arithmetic: the magnitude code 0x00..0x7E.
inline uint32_t e4m3_code_rne(float s) {
  const uint32_t a = std::bit_cast<uint32_t>(s);
  const uint32_t field = a >> 23;
  uint32_t code;
  if (field >= 121) {  // E4M3 normal (>= 2^-6): round at bit 20, rebias 127 -> 7
    code = ((a + (1u << 19) - 1 + ((a >> 20) & 1)) >> 20) - (120u << 3);
  } else {  // subnormal quantum 2^-9: significand shifted by 141 − exponent field (≥ 26 gives 0)
    const uint32_t sig = (a & 0x7FFFFF) | (field ? 0x800000u : 0u);
    const uint32_t shift = std::min<uint32_t>(141 - std::max<uint32_t>(field, 1), 26);
    code = (sig + (1u << (shift - 1)) - 1 + ((sig >> shift) & 1)) >> shift;
  }
  return std::min<uint32_t>(code, 0x7E);
}

}  // namespace hifloat::kernels::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Largest |x| bits over the finite elements of x[0, n).
uint32_t Nvfp4FiniteAmaxBits(const float* HWY_RESTRICT x, size_t n) {
  const DI di;
  const size_t lanes = hn::Lanes(di);
  const VI inf = hn::Set(di, 0x7F800000);
  VI m = hn::Zero(di);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const VI a = hn::AndNot(hn::SignBit(di), LoadBits(di, x + i));
    m = hn::Max(m, hn::IfThenElseZero(hn::Lt(a, inf), a));
  }
  uint32_t r = static_cast<uint32_t>(hn::GetLane(hn::MaxOfLanes(di, m)));
  for (; i < n; ++i) {
    const uint32_t a = std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu;
    if (a < 0x7F800000u) r = std::max(r, a);
  }
  return r;
}

// tensor_scale = on: g > 0 (the header's scale); off: g = 0.
void Nvfp4EncodeBlocks(const float* HWY_RESTRICT x, size_t nblocks, uint8_t* HWY_RESTRICT rec, float g,
                       const float* e4m3_values) {
  const DI di;
  const hn::RebindToFloat<DI> df;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  constexpr size_t B = detail::kNvBlock;
  const VI sign_mask = hn::SignBit(di);
  for (size_t b = 0; b < nblocks; ++b, x += B, rec += detail::kNvRecordBytes) {
    VI amax_v = hn::Zero(di);
    for (size_t i = 0; i < B; i += lanes) amax_v = hn::Max(amax_v, hn::AndNot(sign_mask, LoadBits(di, x + i)));
    const int32_t amax = hn::GetLane(hn::MaxOfLanes(di, amax_v));
    if (amax > 0x7F800000) {  // a NaN in the block (§2 step 2.1, §3 step 1)
      rec[0] = detail::kNvNanScale;
      std::memset(rec + 1, 0, detail::kNvRecordBytes - 1);
      continue;
    }
    const float bmax = std::bit_cast<float>(amax);  // may be +Inf
    uint32_t scale_code;
    float total;
    if (g > 0.0f) {
      const float s_raw = (bmax / 6.0f) / g;
      const float s_c = std::min(std::max(s_raw, 0x1p-6f), 448.0f);
      scale_code = detail::e4m3_code_rne(s_c);
      total = g * e4m3_values[scale_code];
    } else {
      scale_code = detail::e4m3_code_rne(std::min(bmax / 6.0f, 448.0f));
      total = e4m3_values[scale_code];
    }
    rec[0] = static_cast<uint8_t>(scale_code);
    alignas(64) uint8_t codes[B];
    const auto t = hn::Set(df, total);
    const bool zero_total = total == 0.0f;
    for (size_t i = 0; i < B; i += lanes) {
      const VI bits = LoadBits(di, x + i);
      const VI a = hn::AndNot(sign_mask, bits);
      VI mag = hn::Zero(di);
      if (!zero_total) {
        const auto v = hn::Min(hn::Div(hn::BitCast(df, a), t), hn::Set(df, 6.0f));  // division, ±Inf gives 6
        mag = GridCodes(di, hn::BitCast(di, v), 0, detail::kE2M1Grid);
      }
      const VI code = hn::Or(mag, hn::IfThenElseZero(hn::Lt(bits, hn::Zero(di)), hn::Set(di, 0x8)));
      hn::StoreU(hn::DemoteTo(d8, code), d8, codes + i);
    }
    detail::pack_codes_swar(codes, B, 4, rec + 1);
  }
}

// Returns the index of the first block whose scale code has its sign bit set
// (nblocks if none); blocks before it are decoded.
size_t Nvfp4DecodeBlocks(const uint8_t* HWY_RESTRICT rec, size_t nblocks, float* HWY_RESTRICT out, float g,
                         const float* e4m3_values, const uint32_t* e2m1_signed_bits) {
  const DI di;
  const hn::RebindToUnsigned<DI> du;
  const hn::RebindToFloat<DI> df;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  constexpr size_t B = detail::kNvBlock;
  for (size_t b = 0; b < nblocks; ++b, out += B, rec += detail::kNvRecordBytes) {
    const uint8_t sc = rec[0];
    if (sc == detail::kNvNanScale) {
      const auto nan = hn::BitCast(df, hn::Set(di, 0x7FC00000));
      for (size_t i = 0; i < B; i += lanes) hn::StoreU(nan, df, out + i);
      continue;
    }
    if (sc & 0x80) return b;
    const float total = g > 0.0f ? g * e4m3_values[sc] : e4m3_values[sc];
    const auto t = hn::Set(df, total);
    alignas(64) uint8_t codes[B];
    detail::unpack_codes_swar(rec + 1, B, 4, codes);
    for (size_t i = 0; i < B; i += lanes) {
      const VI code = hn::PromoteTo(di, hn::LoadU(d8, codes + i));
      // (±q) × T = ±(q × T): IEEE multiplication is sign-symmetric.
      const auto q = hn::BitCast(df, hn::GatherIndex(du, e2m1_signed_bits, code));
      hn::StoreU(hn::Mul(q, t), df, out + i);
    }
  }
  return nblocks;
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>

#include "formats/little_endian.h"
#include "formats/minifloat.h"
#include "hifloat/error.h"
#include "kernels/parallel_for.h"

namespace hifloat::kernels {

HWY_EXPORT(Nvfp4FiniteAmaxBits);
HWY_EXPORT(Nvfp4EncodeBlocks);
HWY_EXPORT(Nvfp4DecodeBlocks);

namespace {

class Nvfp4Kernel final : public BlockKernel {
 public:
  explicit Nvfp4Kernel(const FormatSpec& format)
      : format_str_(format.str()), tensor_scale_(format.option("tensor_scale") == "on") {
    for (int c = 0; c < 128; ++c) e4m3_[c] = static_cast<float>(minifloat_magnitude(static_cast<uint8_t>(std::min(c, 0x7E)), kE4M3));
    for (int c = 0; c < 16; ++c) {
      const float q = static_cast<float>(minifloat_magnitude(static_cast<uint8_t>(c & 7), kE2M1));
      e2m1_[c] = std::bit_cast<uint32_t>((c & 8) ? -q : q);
    }
  }

  int64_t block() const override { return detail::kNvBlock; }
  size_t record_bytes() const override { return detail::kNvRecordBytes; }
  size_t header_bytes() const override { return tensor_scale_ ? 4 : 0; }

  // §2 step 1: g = RN32(amax_t / 2688) over the finite elements, 1 if it is 0.
  void encode_header(const float* x, size_t n, uint8_t* header, int threads) const override {
    if (!tensor_scale_) return;
    std::atomic<uint32_t> amax_bits{0};
    parallel_for(static_cast<int64_t>(n), threads, static_cast<int64_t>(kMinElementsPerThread), [&](int64_t b, int64_t e) {
      const uint32_t m = HWY_DYNAMIC_DISPATCH(Nvfp4FiniteAmaxBits)(x + b, static_cast<size_t>(e - b));
      uint32_t cur = amax_bits.load();
      while (m > cur && !amax_bits.compare_exchange_weak(cur, m)) {
      }
    });
    const uint32_t amax = amax_bits.load();
    float g = std::bit_cast<float>(amax) / 2688.0f;
    if (g == 0.0f) g = 1.0f;
    store_f32_le(g, header);
  }

  void encode_blocks(const float* x, size_t nblocks, const uint8_t* header, uint8_t* rec) const override {
    HWY_DYNAMIC_DISPATCH(Nvfp4EncodeBlocks)(x, nblocks, rec, tensor_scale_ ? load_f32_le(header) : 0.0f, e4m3_);
  }
  void decode_blocks(const uint8_t* rec, size_t nblocks, const uint8_t* header, float* out) const override {
    const float g = tensor_scale_ ? load_f32_le(header) : 0.0f;
    // As the reference: NaN blocks decode without looking at g; any other
    // block needs a positive finite g.
    if (tensor_scale_ && (!(g > 0.0f) || !std::isfinite(g))) {
      for (size_t b = 0; b < nblocks; ++b) {
        if (rec[b * detail::kNvRecordBytes] != detail::kNvNanScale) {
          throw Error("format '" + format_str_ + "': the header's tensor scale " + std::to_string(g) +
                      " is not a positive finite fp32 value");
        }
      }
    }
    const size_t bad = HWY_DYNAMIC_DISPATCH(Nvfp4DecodeBlocks)(rec, nblocks, out, g, e4m3_, e2m1_);
    if (bad < nblocks) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", rec[bad * detail::kNvRecordBytes]);
      throw Error("format '" + format_str_ + "': block scale code " + buf +
                  " has its sign bit set (block scales are unsigned E4M3 codes 0x00..0x7F)");
    }
  }

 private:
  std::string format_str_;
  bool tensor_scale_;
  float e4m3_[128] = {};
  uint32_t e2m1_[16] = {};
};

}  // namespace

std::unique_ptr<BlockKernel> make_nvfp4_kernel(const FormatSpec& format) {
  if (format.name != "nvfp4") return nullptr;
  return std::make_unique<Nvfp4Kernel>(format);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
