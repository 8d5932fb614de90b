// MX family fast path (spec/BASELINES.md §4): mxfp4, mxfp6_e2m3, mxfp6_e3m2,
// mxfp8_e4m3, mxfp8_e5m2 and mxint8 through one parameterised kernel,
// compiled per Highway target and dispatched at run time. Equal to MxCodec
// (src/formats/mx.cc) bit for bit:
//   - amax and "NaN or Inf anywhere" come from one integer max over the
//     block's |x| bits (Inf/NaN patterns are the largest);
//   - E = floor(RN32(log2 amax)) without a logarithm: the exponent field, plus
//     one when amax is at or above the per-binade threshold, the smallest fp32
//     value of the binade whose RN32(log2) reaches the next integer (§4.2's
//     N(k) table; the thresholds are found once by bisection with the
//     reference's own formula). Subnormal amax uses the formula directly;
//   - elements are rounded by GridCodes (grid_round-inl.h) with 2^se folded
//     into the exponent; blocks with se <= bias − 127, where an fp32 subnormal
//     could reach the element grid's normals, use the scalar codec;
//   - decoding: code -> value table, times 2^se as two exact multiplications
//     by normal powers of two (so ±Inf for E = 128 and fp32-subnormal results
//     come out as the reference's ldexp gives them).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/mx_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/block_kernels.h"
#include "kernels/convert-inl.h"
#include "kernels/grid_round-inl.h"

#ifndef HIFLOAT_KERNELS_MX_PARAMS_
#define HIFLOAT_KERNELS_MX_PARAMS_
namespace hifloat::kernels::detail {

constexpr size_t kMxBlock = 32;
constexpr uint8_t kMxNanScale = 0xFF;

struct MxParams {
  GridParams grid;
  int emax;
  int bias;        // element exponent bias (0 for mxint8)
  bool is_int;
  int code_bits;
  size_t record_bytes;
  uint8_t sign_bit;                  // float elements' sign bit in the code
  const uint32_t* log2_threshold;    // [256]: per fp32 exponent field (see above)
  const uint32_t* value_bits;        // [256]: fp32 bits of each element code's value (unscaled)
  void (*fallback)(const void* ctx, const float* x, uint8_t* record);  // scalar codec, one block
  const void* fallback_ctx;
};

// §4.2 step 3, exactly as MxCodec::shared_exponent computes it (amax > 0).
inline int mx_log2_exponent(float amax) {
  return static_cast<int>(std::floor(static_cast<float>(std::log2(static_cast<double>(amax)))));
}

}  // namespace hifloat::kernels::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void MxEncodeBlocks(const float* HWY_RESTRICT x, size_t nblocks, uint8_t* HWY_RESTRICT rec,
                    const detail::MxParams& p) {
  const DI di;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  constexpr size_t B = detail::kMxBlock;
  for (size_t b = 0; b < nblocks; ++b, x += B, rec += p.record_bytes) {
    VI amax_v = hn::Zero(di);
    for (size_t i = 0; i < B; i += lanes) amax_v = hn::Max(amax_v, hn::AndNot(hn::SignBit(di), LoadBits(di, x + i)));
    const int32_t amax = hn::GetLane(hn::MaxOfLanes(di, amax_v));
    int se = 0;
    bool nan_block = amax >= 0x7F800000;  // §4.2 step 1: NaN or ±Inf in the block
    if (!nan_block) {
      const int field = amax >> 23;
      int e;
      if (field != 0) e = field - 127 + (static_cast<uint32_t>(amax) >= p.log2_threshold[field] ? 1 : 0);
      else e = amax == 0 ? -126 : detail::mx_log2_exponent(std::bit_cast<float>(amax));
      se = std::max(e - p.emax, -127);
      nan_block = se > 127;
    }
    if (nan_block) {
      rec[0] = detail::kMxNanScale;
      std::memset(rec + 1, 0, p.record_bytes - 1);
      continue;
    }
    if (!p.is_int && se <= p.bias - 127) {
      p.fallback(p.fallback_ctx, x, rec);
      continue;
    }
    rec[0] = static_cast<uint8_t>(se + 127);
    alignas(64) uint8_t codes[B];
    for (size_t i = 0; i < B; i += lanes) {
      const VI bits = LoadBits(di, x + i);
      const VI a = hn::AndNot(hn::SignBit(di), bits);
      const VI mag = GridCodes(di, a, se, p.grid);
      const auto neg = hn::Lt(bits, hn::Zero(di));
      VI code;
      if (p.is_int) {
        code = hn::And(hn::IfThenElse(neg, hn::Neg(mag), mag), hn::Set(di, 0xFF));  // two's complement, −0 -> 0
      } else {
        code = hn::IfThenElse(neg, hn::Or(mag, hn::Set(di, p.sign_bit)), mag);
      }
      hn::StoreU(hn::DemoteTo(d8, code), d8, codes + i);
    }
    detail::pack_codes_swar(codes, B, p.code_bits, rec + 1);
  }
}

// table[code] for codes 0..15 by an in-register permute (16-lane targets;
// elsewhere never called, but compiled, so it falls back to a gather).
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DI>> Lookup16([[maybe_unused]] DI di, VI code, const uint32_t* HWY_RESTRICT table) {
  const hn::RebindToUnsigned<DI> du;
#if HWY_TARGET != HWY_SCALAR
  if constexpr (hn::MaxLanes(DI()) == 16) {
    return hn::BitCast(du, hn::TableLookupLanes(hn::LoadU(di, reinterpret_cast<const int32_t*>(table)),
                                                hn::IndicesFromVec(di, code)));
  }
#endif
  return hn::GatherIndex(du, table, code);
}

void MxDecodeBlocks(const uint8_t* HWY_RESTRICT rec, size_t nblocks, float* HWY_RESTRICT out,
                    const detail::MxParams& p) {
  const DI di;
  const hn::RebindToUnsigned<DI> du;
  const hn::RebindToFloat<DI> df;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t lanes = hn::Lanes(di);
  constexpr size_t B = detail::kMxBlock;
  // 4-bit codes (mxfp4) on 16-lane targets: the value table is one register.
  const bool lut16 = p.code_bits == 4 && hn::MaxLanes(di) == 16;
  for (size_t b = 0; b < nblocks; ++b, out += B, rec += p.record_bytes) {
    if (rec[0] == detail::kMxNanScale) {
      const auto nan = hn::BitCast(df, hn::Set(di, 0x7FC00000));
      for (size_t i = 0; i < B; i += lanes) hn::StoreU(nan, df, out + i);
      continue;
    }
    // 2^se = 2^h1 · 2^h2 with both factors normal: each product is exact
    // unless the final one overflows (to ±Inf, as ldexp does).
    // |h1|, |h2| <= 64: normal powers of two, built from their exponent fields.
    const int se = rec[0] - 127;
    const int h1 = se / 2, h2 = se - h1;
    const auto f1 = hn::Set(df, std::bit_cast<float>(static_cast<uint32_t>(h1 + 127) << 23));
    const auto f2 = hn::Set(df, std::bit_cast<float>(static_cast<uint32_t>(h2 + 127) << 23));
    alignas(64) uint8_t codes[B];
    detail::unpack_codes_swar(rec + 1, B, p.code_bits, codes);
    for (size_t i = 0; i < B; i += lanes) {
      const VI code = hn::PromoteTo(di, hn::LoadU(d8, codes + i));
      const auto v = hn::BitCast(df, lut16 ? Lookup16(di, code, p.value_bits) : hn::GatherIndex(du, p.value_bits, code));
      hn::StoreU(hn::Mul(hn::Mul(v, f1), f2), df, out + i);
    }
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <array>
#include <string>

#include "formats/minifloat.h"
#include "hifloat/error.h"

namespace hifloat::kernels {

HWY_EXPORT(MxEncodeBlocks);
HWY_EXPORT(MxDecodeBlocks);

namespace {

// threshold[f]: the smallest fp32 pattern with exponent field f whose
// RN32(log2) floors to f − 126 (0xFFFFFFFF when there is none).
std::array<uint32_t, 256> make_log2_thresholds() {
  std::array<uint32_t, 256> t{};
  t.fill(0xFFFFFFFFu);
  for (uint32_t f = 1; f < 255; ++f) {
    const uint32_t lo = f << 23, hi = lo | 0x7FFFFF;
    const int exact = static_cast<int>(f) - 127;
    if (detail::mx_log2_exponent(std::bit_cast<float>(hi)) == exact) continue;
    uint32_t a = lo, b = hi;  // predicate false at a, true at b (monotone in the pattern)
    while (b - a > 1) {
      const uint32_t m = a + (b - a) / 2;
      if (detail::mx_log2_exponent(std::bit_cast<float>(m)) > exact) b = m;
      else a = m;
    }
    t[f] = b;
  }
  return t;
}

const std::array<uint32_t, 256>& log2_thresholds() {
  static const std::array<uint32_t, 256> t = make_log2_thresholds();
  return t;
}

struct MxElementInfo {
  bool is_int;
  Minifloat grid;
  int emax;
  int code_bits;
};

bool mx_element_info(const std::string& name, MxElementInfo* info) {
  if (name == "mxfp4") *info = {false, kE2M1, 2, 4};
  else if (name == "mxfp6_e2m3") *info = {false, kE2M3, 2, 6};
  else if (name == "mxfp6_e3m2") *info = {false, kE3M2, 4, 6};
  else if (name == "mxfp8_e4m3") *info = {false, kE4M3, 8, 8};
  else if (name == "mxfp8_e5m2") *info = {false, kE5M2, 15, 8};
  else if (name == "mxint8") *info = {true, {}, 0, 8};
  else return false;
  return true;
}

class MxKernel final : public BlockKernel {
 public:
  MxKernel(const FormatSpec& format, const MxElementInfo& info) : codec_(make_codec(format)) {
    for (int c = 0; c < 256; ++c) {
      const float v = info.is_int ? static_cast<float>(static_cast<int8_t>(c)) / 64.0f
                                  : static_cast<float>(minifloat_decode(static_cast<uint8_t>(c), info.grid));
      values_[c] = std::bit_cast<uint32_t>(v);
    }
    detail::GridParams g{};
    if (info.is_int) {
      g = {0, 1 << 20, -6, 127, true};
    } else {
      g = {info.grid.mbits, 127 + info.grid.emin(), info.grid.emin() - info.grid.mbits, info.grid.max_code(), true};
    }
    p_.grid = g;
    p_.emax = info.emax;
    p_.bias = info.is_int ? 0 : info.grid.bias;
    p_.is_int = info.is_int;
    p_.code_bits = info.code_bits;
    p_.record_bytes = codec_->record_bytes(32);
    p_.sign_bit = info.is_int ? 0 : info.grid.sign_bit();
    p_.log2_threshold = log2_thresholds().data();
    p_.value_bits = values_.data();
    p_.fallback = [](const void* ctx, const float* x, uint8_t* record) {
      static_cast<const Codec*>(ctx)->encode_block(std::span<const float>(x, detail::kMxBlock), BlockContext{}, record);
    };
    p_.fallback_ctx = codec_.get();
  }

  int64_t block() const override { return detail::kMxBlock; }
  size_t record_bytes() const override { return p_.record_bytes; }
  void encode_blocks(const float* x, size_t nblocks, const uint8_t*, uint8_t* rec) const override {
    HWY_DYNAMIC_DISPATCH(MxEncodeBlocks)(x, nblocks, rec, p_);
  }
  void decode_blocks(const uint8_t* rec, size_t nblocks, const uint8_t*, float* out) const override {
    HWY_DYNAMIC_DISPATCH(MxDecodeBlocks)(rec, nblocks, out, p_);
  }

 private:
  std::unique_ptr<Codec> codec_;  // scalar fallback for blocks of tiny magnitude
  std::array<uint32_t, 256> values_{};
  detail::MxParams p_{};
};

}  // namespace

std::unique_ptr<BlockKernel> make_mx_kernel(const FormatSpec& format) {
  MxElementInfo info{};
  if (!mx_element_info(format.name, &info)) return nullptr;
  return std::make_unique<MxKernel>(format, info);
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
