// NVFP4 fast path (spec/BASELINES.md §2 tensor_scale=on, §3 tensor_scale=off),
// compiled per Highway target and dispatched at run time; equal to Nvfp4Codec
// (src/formats/nvfp4.cc) bit for bit:
//   - the tensor amax (finite elements only) is an integer max over |x| bits,
//     a streaming read, vectorised and threaded; g = RN32(amax / 2688) as the
//     reference;
//   - per block: NaN check and bmax from one integer max over |x| bits, then
//     the same fp32 divisions and clamps as the reference and the E4M3 block
//     scale rounded in integer arithmetic (RNE with subnormals, as
//     minifloat_round_even), computed for one block per SIMD lane: a group of
//     `lanes` blocks at a time, the per-block maxima from a
//     ConcatEven/ConcatOdd reduction tree. IEEE division is exact in every
//     Highway target, so the lanes compute what the scalar code computes;
//   - elements: a real fp32 division |x| / T per lane, min(., 6), then RNE
//     onto E2M1 with GridCodes, and nibble packing in SIMD.
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
// The E4M3 block-scale grid, subnormals included (M = 3, emin = −6, quantum
// 2^−9, codes up to 0x7E = 448): GridCodes on it is minifloat_round_even.
constexpr GridParams kE4M3Grid{3, 127 - 6, -9, 0x7E, false};

}  // namespace hifloat::kernels::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Largest |x| bits over the finite elements of x[0, n): a pure streaming
// read (four independent accumulators; Inf/NaN patterns are >= 0x7F800000).
uint32_t Nvfp4FiniteAmaxBits(const float* HWY_RESTRICT x, size_t n) {
  const DI di;
  const size_t lanes = hn::Lanes(di);
  const VI inf = hn::Set(di, 0x7F800000);
  const VI sign = hn::SignBit(di);
  const auto finite_abs = [&](const float* p) {
    const VI a = hn::AndNot(sign, LoadBits(di, p));
    return hn::IfThenElseZero(hn::Lt(a, inf), a);
  };
  VI m0 = hn::Zero(di), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    m0 = hn::Max(m0, finite_abs(x + i));
    m1 = hn::Max(m1, finite_abs(x + i + lanes));
    m2 = hn::Max(m2, finite_abs(x + i + 2 * lanes));
    m3 = hn::Max(m3, finite_abs(x + i + 3 * lanes));
  }
  for (; i + lanes <= n; i += lanes) m0 = hn::Max(m0, finite_abs(x + i));
  const VI m = hn::Max(hn::Max(m0, m1), hn::Max(m2, m3));
  uint32_t r = static_cast<uint32_t>(hn::GetLane(hn::MaxOfLanes(di, m)));
  for (; i < n; ++i) {
    const uint32_t a = std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu;
    if (a < 0x7F800000u) r = std::max(r, a);
  }
  return r;
}

// fp32 values of E4M3 magnitude codes 0..0x7E: normal codes move their fields
// into place (bias 7 -> 127), subnormal codes are c · 2^−9 (exact).
HWY_INLINE hn::Vec<hn::RebindToFloat<DI>> E4M3Values(DI di, VI code) {
  const hn::RebindToFloat<DI> df;
  const VI normal = hn::Add(hn::ShiftLeft<20>(code), hn::Set(di, 120 << 23));
  const auto sub = hn::Mul(hn::ConvertTo(df, code), hn::Set(df, 0x1p-9f));
  return hn::IfThenElse(hn::RebindMask(df, hn::Lt(code, hn::Set(di, 8))), sub, hn::BitCast(df, normal));
}

// min(q, 6) for q = the fp32 bits `bits` of a quotient |x| / T >= 0 (+Inf
// included), then RNE onto E2M1: the magnitude code 0..7 (0, 0.5, 1, 1.5, 2,
// 3, 4, 6). Equal to min + GridCodes with kE2M1Grid, in fewer operations:
//   - the min is an integer min of the patterns (ordered like the values);
//   - q >= 1 (E2M1 normals): the pattern rounded to one mantissa bit in
//     integers (add half − 1 + lsb, shift; a carry is the next binade), then
//     rebiased: code = (e − 126) · 2 + m;
//   - q < 1 (step 0.5): q + 2^22 in fp32 is exactly 2^22 + RNE(2q) · 0.5 (the
//     ulp of 2^22 is 0.5, ties go to the even multiple = the even code), so
//     its pattern minus 2^22's is the code 0, 1 or 2 (2 is 1.0's code).
// Lanes holding a NaN pattern give some code without overflowing (callers
// overwrite those blocks).
HWY_INLINE VI E2M1CodesMin6(DI di, VI bits) {
  const hn::RebindToFloat<DI> df;
  const VI q = hn::Min(bits, hn::Set(di, 0x40C00000));  // 6.0
  const VI lsb = hn::And(hn::ShiftRight<22>(q), hn::Set(di, 1));
  const VI normal = hn::Sub(hn::ShiftRight<22>(hn::Add(hn::Add(q, hn::Set(di, (1 << 21) - 1)), lsb)), hn::Set(di, 126 << 1));
  const VI sub = hn::Sub(hn::BitCast(di, hn::Add(hn::BitCast(df, q), hn::Set(df, 0x1p22f))), hn::Set(di, 0x4A800000));
  return hn::IfThenElse(hn::Lt(q, hn::Set(di, 0x3F800000)), sub, normal);
}

#if HWY_TARGET != HWY_SCALAR
// Packs the element codes (0..15, one per i32 lane) of `lanes` consecutive
// elements into lanes/2 bytes, element 2p in the low nibble of byte p (§0).
HWY_INLINE void PackNibbles(DI /* only the type */, VI code, uint8_t* HWY_RESTRICT out) {
  const hn::Rebind<uint8_t, DI> d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Rebind<uint8_t, decltype(d16)> d8h;
  const auto w = hn::BitCast(d16, hn::DemoteTo(d8, code));  // lane p: code 2p | code 2p+1 << 8
  const auto p = hn::And(hn::Or(w, hn::ShiftRight<4>(w)), hn::Set(d16, 0xFF));
  hn::StoreU(hn::DemoteTo(d8h, p), d8h, out);
}
#endif

// Encodes exactly N = lanes blocks (N · 16 floats) into N records: the block
// maxima, NaN flags, scale codes and total scales of all N blocks are
// computed in SIMD lanes (lane b = block b), then each block's elements.
// tensor_scale = on: g > 0 (the header's scale); off: g = 0.
HWY_INLINE void Nvfp4EncodeGroup(const float* HWY_RESTRICT x, uint8_t* HWY_RESTRICT rec, float g) {
  const DI di;
  const hn::RebindToFloat<DI> df;
  constexpr size_t N = hn::MaxLanes(DI());
  constexpr size_t B = detail::kNvBlock;
  static_assert(B % N == 0, "a block is a whole number of vectors");
  constexpr size_t V = B / N;  // vectors per block
  const VI sign_mask = hn::SignBit(di);

  // m[b]: partial maxima of block b's |x| bits. The tree folds pairs of
  // vectors (ConcatEven/ConcatOdd of the pair, then Max), halving the
  // partials per block at each level, until lane b of m[0] is block b's max.
  VI m[N];
  for (size_t b = 0; b < N; ++b) {
    m[b] = hn::AndNot(sign_mask, LoadBits(di, x + b * B));
    for (size_t v = 1; v < V; ++v) m[b] = hn::Max(m[b], hn::AndNot(sign_mask, LoadBits(di, x + b * B + v * N)));
  }
#if HWY_TARGET != HWY_SCALAR
  for (size_t n = N; n > 1; n /= 2) {
    for (size_t k = 0; k < n / 2; ++k) {
      m[k] = hn::Max(hn::ConcatEven(di, m[2 * k + 1], m[2 * k]), hn::ConcatOdd(di, m[2 * k + 1], m[2 * k]));
    }
  }
#endif
  const auto nan_block = hn::Gt(m[0], hn::Set(di, 0x7F800000));  // §2 step 2.1, §3 step 1
  // bmax may be +Inf; NaN blocks' lanes compute with 0 and are overwritten below.
  const auto bmax = hn::BitCast(df, hn::IfThenZeroElse(nan_block, m[0]));
  const auto b6 = hn::Div(bmax, hn::Set(df, 6.0f));
  VI scale_code;
  hn::Vec<decltype(df)> total;
  if (g > 0.0f) {  // §2 steps 2.3–2.7: s_raw = RN32(b / g), clamped, onto E4M3; T = RN32(g × s)
    const auto gv = hn::Set(df, g);
    const auto s_c = hn::Min(hn::Max(hn::Div(b6, gv), hn::Set(df, 0x1p-6f)), hn::Set(df, 448.0f));
    scale_code = GridCodes(di, hn::BitCast(di, s_c), 0, detail::kE4M3Grid);
    total = hn::Mul(gv, E4M3Values(di, scale_code));
  } else {  // §3 steps 2–3: S = E4M3(min(RN32(bmax / 6), 448)), subnormals and 0 included
    const auto sf = hn::Min(b6, hn::Set(df, 448.0f));
    scale_code = GridCodes(di, hn::BitCast(di, sf), 0, detail::kE4M3Grid);
    total = E4M3Values(di, scale_code);
  }
  HWY_ALIGN float t_of[N];
  HWY_ALIGN int32_t scale_code_of[N];
  hn::Store(total, df, t_of);
  hn::Store(hn::IfThenElse(nan_block, hn::Set(di, detail::kNvNanScale), scale_code), di, scale_code_of);

  const VI sign_code = hn::Set(di, 0x8);
  for (size_t b = 0; b < N; ++b) {
    uint8_t* r = rec + b * detail::kNvRecordBytes;
    r[0] = static_cast<uint8_t>(scale_code_of[b]);
    const auto t = hn::Set(df, t_of[b]);
#if HWY_TARGET == HWY_SCALAR
    uint8_t codes[B];
#endif
    for (size_t v = 0; v < V; ++v) {
      const VI bits = LoadBits(di, x + b * B + v * N);
      // min(RN32(|x| / T), 6): a real division; ±Inf gives 6.
      const auto q = hn::Div(hn::BitCast(df, hn::AndNot(sign_mask, bits)), t);
      // The input's sign bit even when the magnitude rounds to 0 (§0).
      const VI code = hn::Or(E2M1CodesMin6(di, hn::BitCast(di, q)), hn::And(hn::ShiftRight<28>(bits), sign_code));
#if HWY_TARGET == HWY_SCALAR
      codes[v] = static_cast<uint8_t>(hn::GetLane(code));
#else
      PackNibbles(di, code, r + 1 + v * N / 2);
#endif
    }
#if HWY_TARGET == HWY_SCALAR
    detail::pack_codes_swar(codes, B, 4, r + 1);
#endif
  }

  // Rare blocks, rewritten after the fact (their lanes above computed garbage):
  // NaN blocks have all element codes 0; blocks with T = 0 (§2: g < 2^−143;
  // §3: S = 0) keep only the signs.
  const auto special = hn::Or(nan_block, hn::RebindMask(di, hn::Eq(total, hn::Zero(df))));
  if (HWY_UNLIKELY(!hn::AllFalse(di, special))) {
    HWY_ALIGN int32_t special_of[N];
    hn::Store(hn::VecFromMask(di, special), di, special_of);
    for (size_t b = 0; b < N; ++b) {
      if (special_of[b] == 0) continue;
      uint8_t* payload = rec + b * detail::kNvRecordBytes + 1;
      uint8_t codes[B] = {};
      if (t_of[b] == 0.0f && scale_code_of[b] != detail::kNvNanScale) {
        for (size_t i = 0; i < B; ++i) {
          uint32_t bits;
          std::memcpy(&bits, x + b * B + i, 4);
          codes[i] = static_cast<uint8_t>((bits >> 28) & 0x8);
        }
      }
      detail::pack_codes_swar(codes, B, 4, payload);
    }
  }
}

// nblocks whole blocks: groups of N, then a zero-padded partial group whose
// extra records are dropped.
void Nvfp4EncodeBlocks(const float* HWY_RESTRICT x, size_t nblocks, uint8_t* HWY_RESTRICT rec, float g) {
  constexpr size_t N = hn::MaxLanes(DI());
  constexpr size_t B = detail::kNvBlock;
  size_t b = 0;
  for (; b + N <= nblocks; b += N) Nvfp4EncodeGroup(x + b * B, rec + b * detail::kNvRecordBytes, g);
  if (b < nblocks) {
    const size_t left = nblocks - b;
    HWY_ALIGN float xs[N * B] = {};
    uint8_t rs[N * detail::kNvRecordBytes];
    std::memcpy(xs, x + b * B, left * B * sizeof(float));
    Nvfp4EncodeGroup(xs, rs, g);
    std::memcpy(rec + b * detail::kNvRecordBytes, rs, left * detail::kNvRecordBytes);
  }
}

// fp32 bits of the E2M1 codes 0..15 (sign in bit 3) from the 16-entry table:
// one in-register permute where a vector holds 8 or 16 lanes (with 8, the
// magnitude comes from entries 0..7 and the sign is or-ed in), else a gather.
HWY_INLINE VI E2M1SignedBits(DI di, VI code, const uint32_t* HWY_RESTRICT table) {
#if HWY_TARGET != HWY_SCALAR
  constexpr size_t N = hn::MaxLanes(DI());
  if constexpr (N == 16) {
    return hn::TableLookupLanes(hn::LoadU(di, reinterpret_cast<const int32_t*>(table)), hn::IndicesFromVec(di, code));
  } else if constexpr (N == 8) {
    const VI mag = hn::TableLookupLanes(hn::LoadU(di, reinterpret_cast<const int32_t*>(table)),
                                        hn::IndicesFromVec(di, hn::And(code, hn::Set(di, 7))));
    return hn::Or(mag, hn::ShiftLeft<28>(hn::And(code, hn::Set(di, 8))));
  }
#endif
  const hn::RebindToUnsigned<DI> du;
  return hn::BitCast(di, hn::GatherIndex(du, table, code));
}

// Returns the index of the first block whose scale code has its sign bit set
// (nblocks if none); blocks before it are decoded.
size_t Nvfp4DecodeBlocks(const uint8_t* HWY_RESTRICT rec, size_t nblocks, float* HWY_RESTRICT out, float g,
                         const float* e4m3_values, const uint32_t* e2m1_signed_bits) {
  const DI di;
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
      hn::StoreU(hn::Mul(hn::BitCast(df, E2M1SignedBits(di, code, e2m1_signed_bits)), t), df, out + i);
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
    HWY_DYNAMIC_DISPATCH(Nvfp4EncodeBlocks)(x, nblocks, rec, tensor_scale_ ? load_f32_le(header) : 0.0f);
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
