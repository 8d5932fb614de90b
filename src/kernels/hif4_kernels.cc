// HiFloat4 family kernels (spec/HIF4.md §5, §7), compiled once per Highway
// target and dispatched at run time.
//
// One unit (64 values) at a time, vectorised within the unit. A 4-group is one
// 128-bit block of four float32 lanes, so group maxima and code packing are
// in-block shuffles (Shuffle2301 / Shuffle1032). The per-unit metadata (scale,
// 8 + 16 flags) is a few dozen scalar operations on the 16 group maxima.
//
// Exactness (decision D1): every RN32 step of §5 is one float32 operation here
// too, in the same order, with equivalent operands:
//   - group maxima are taken on the absolute values' bit patterns as integers,
//     which order like the values for non-NaN magnitudes; a NaN's pattern is
//     above +Inf's, so the unit maximum also detects NaN units (§4.1);
//   - bf16 rounding and E6M2 rounding use §9's integer recipes;
//   - R = RNbf16(RN32(1/S)) is r[f] * 2^-E with r[f] = RNbf16(RN32(1/(1+f/4))):
//     both roundings commute with the power of two because every R is normal;
//   - dividing by 2^sh is multiplying by the exact 2^-sh (same real value,
//     rounded once); t = 2^(m-1) * y is exact;
//   - away: floor(RN32(t + 0.5)) with a real float32 add (0x3EFFFFFF -> 1);
//     even: Round (ties to even) on t; both then min(., 2^m - 1), which also
//     takes t = +Inf (Inf inputs, §4.2) to the saturated magnitude;
//   - decoded values q * 2^sh * S / 2^(m-1) have at most 7 significant bits
//     and stay normal, so the float products are exact like the reference's ldexp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/hif4_kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "kernels/hif4_kernels.h"

#ifndef HIFLOAT_KERNELS_HIF4_SCALAR_ONCE
#define HIFLOAT_KERNELS_HIF4_SCALAR_ONCE
namespace hifloat::kernels::hif4_detail {

static_assert(std::endian::native == std::endian::little, "the unit packer stores little-endian words");

constexpr int kUnit = 64;

// §1 / §9: float32 bits rounded to bf16 (ties to even), as float32 bits.
constexpr uint32_t round_bf16_bits(uint32_t u) { return (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u; }

// r[f] = RNbf16(RN32(1 / (1 + f/4))) as float32 bits.
constexpr uint32_t reciprocal_bits(int f) {
  return round_bf16_bits(std::bit_cast<uint32_t>(1.0f / (1.0f + 0.25f * static_cast<float>(f))));
}
inline constexpr uint32_t kReciprocal[4] = {reciprocal_bits(0), reciprocal_bits(1), reciprocal_bits(2),
                                            reciprocal_bits(3)};

// Unit metadata from the 16 4-group maxima (bit patterns of magnitudes, no NaN).
struct Meta {
  uint32_t word;   // little-endian metadata word of §7: code | b8 << 8 | b4 << 16
  uint32_t b8, b4;
  float R;         // §5 step 6
  uint32_t s_bits; // float32 bits of S
};

inline Meta unit_meta(const uint32_t* m4, uint32_t M) {
  // Step 3: t0 = RN32(M * bf16(1/7)); step 4: RNbf16, then clamp to [2^-48, 49152]
  // (on bit patterns of non-negative values, which order like the values).
  const float t0 = std::bit_cast<float>(M) * 0.142578125f;
  const uint32_t t = std::clamp(round_bf16_bits(std::bit_cast<uint32_t>(t0)), 0x27800000u, 0x47400000u);
  // Step 5 via §9: round the bf16 mantissa to 2 bits, ties to even.
  const uint32_t s = (t + 0x000FFFFFu + ((t >> 21) & 1u)) & 0xFFE00000u;
  const int E = static_cast<int>(s >> 23) - 127;
  const uint32_t f = (s >> 21) & 3u;
  Meta meta;
  meta.s_bits = s;
  meta.R = std::bit_cast<float>(kReciprocal[f] - static_cast<uint32_t>(E * (1 << 23)));
  // Step 7: b8[k] = RN32(m8[k] * R) >= 4.  Step 8: b4[j] = RN32(RN32(m4[j] * R) / 2^b8) >= 2.
  // Branch-free: the flags of random data are unpredictable. Dividing by 2^b8
  // is multiplying by 1 or 0.5 (exact powers of two, the same rounding).
  constexpr float kHalving[2] = {1.0f, 0.5f};
  uint32_t b8 = 0, b4 = 0;
  for (int k = 0; k < 8; ++k) {
    const float m8 = std::bit_cast<float>(std::max(m4[2 * k], m4[2 * k + 1]));
    b8 |= static_cast<uint32_t>(m8 * meta.R >= 4.0f) << k;
  }
  for (int j = 0; j < 16; ++j) {
    const float p = std::bit_cast<float>(m4[j]) * meta.R;
    const float d = p * kHalving[(b8 >> (j >> 1)) & 1u];
    b4 |= static_cast<uint32_t>(d >= 2.0f) << j;
  }
  meta.b8 = b8;
  meta.b4 = b4;
  meta.word = static_cast<uint32_t>(((E + 48) << 2) | static_cast<int>(f)) | (b8 << 8) | (b4 << 16);
  return meta;
}

}  // namespace hifloat::kernels::hif4_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace d = hif4_detail;

using DI = hn::ScalableTag<int32_t>;
using DF = hn::ScalableTag<float>;
using VI = hn::Vec<DI>;
using VF = hn::Vec<DF>;

constexpr size_t kLanes = hn::MaxLanes(DI());
static_assert(d::kUnit % kLanes == 0, "a unit must be whole vectors");
// With fewer than 4 lanes the in-block reductions below are finished in scalar code.
constexpr bool kBlocks = HWY_TARGET != HWY_SCALAR;
static_assert(!kBlocks || kLanes >= 4, "a 4-group must be one block");

HWY_INLINE VI BlockMax(VI v) {
#if HWY_TARGET != HWY_SCALAR
  v = hn::Max(v, hn::Shuffle2301(v));
  v = hn::Max(v, hn::Shuffle1032(v));
#endif
  return v;
}
HWY_INLINE VI BlockOr(VI v) {
#if HWY_TARGET != HWY_SCALAR
  v = hn::Or(v, hn::Shuffle2301(v));
  v = hn::Or(v, hn::Shuffle1032(v));
#endif
  return v;
}

// Per-lane shift sh = b8[i>>3] + b4[i>>2] for the lanes holding elements idx.
HWY_INLINE VI Shifts(DI di, VI idx, VI b8, VI b4) {
  const VI one = hn::Set(di, 1);
  return hn::Add(hn::And(b8 >> hn::ShiftRight<3>(idx), one), hn::And(b4 >> hn::ShiftRight<2>(idx), one));
}

// Quantises one unit of 64 values at src. Writes the packed record (kValues =
// false) or the 64 fake-quantised values (kValues = true).
template <int kM, Hif4Mode kMode, bool kValues>
HWY_INLINE void QuantizeUnit(const float* HWY_RESTRICT src, uint8_t* HWY_RESTRICT record,
                             float* HWY_RESTRICT values) {
  constexpr int kW = kM + 1;  // bits per code
  const DI di;
  const DF df;
  const VI abs_mask = hn::Set(di, 0x7FFFFFFF);

  // Steps 1-2: 4-group maxima of |x| (as bits), one per block, in m4buf[4j].
  HWY_ALIGN int32_t buf[d::kUnit];
  for (size_t v = 0; v < d::kUnit; v += kLanes) {
    hn::Store(BlockMax(hn::And(hn::LoadU(di, reinterpret_cast<const int32_t*>(src) + v), abs_mask)), di, buf + v);
  }
  uint32_t m4[16];
  uint32_t M = 0;
  for (int j = 0; j < 16; ++j) {
    uint32_t g = static_cast<uint32_t>(buf[4 * j]);
    if constexpr (!kBlocks) {
      for (int i = 1; i < 4; ++i) g = std::max(g, static_cast<uint32_t>(buf[4 * j + i]));
    }
    m4[j] = g;
    M = std::max(M, g);
  }
  if (M > 0x7F800000u) {  // §4.1: a NaN anywhere makes a NaN unit
    if constexpr (kValues) {
      std::fill(values, values + d::kUnit, std::bit_cast<float>(0x7FC00000u));
    } else {
      std::memset(record, 0, static_cast<size_t>(hif4_unit_bytes(kM)));
      record[0] = 0xFF;
    }
    return;
  }
  const d::Meta meta = d::unit_meta(m4, M);

  // Step 9 per lane.
  const VI b8 = hn::Set(di, static_cast<int32_t>(meta.b8));
  const VI b4 = hn::Set(di, static_cast<int32_t>(meta.b4));
  const VF R = hn::Set(df, meta.R);
  const VF elem_scale = hn::Set(df, static_cast<float>(1 << (kM - 1)));
  const VF qmax = hn::Set(df, static_cast<float>((1 << kM) - 1));
  const VI one_bits = hn::Set(di, 0x3F800000);
  // S / 2^(m-1) as bits; adding sh << 23 multiplies by 2^sh.
  const VI value_base = hn::Set(di, static_cast<int32_t>(meta.s_bits - ((kM - 1u) << 23)));
  for (size_t v = 0; v < d::kUnit; v += kLanes) {
    const VI x = hn::LoadU(di, reinterpret_cast<const int32_t*>(src) + v);
    const VI idx = hn::Iota(di, static_cast<int32_t>(v));  // element numbers of the lanes
    const VI sh = Shifts(di, idx, b8, b4);
    const VF a = hn::BitCast(df, hn::And(x, abs_mask));
    const VF inv_pow = hn::BitCast(df, hn::Sub(one_bits, hn::ShiftLeft<23>(sh)));  // 2^-sh
    const VF t = hn::Mul(hn::Mul(hn::Mul(a, inv_pow), R), elem_scale);
    VF r;
    if constexpr (kMode == Hif4Mode::kAway) {
      r = hn::Add(t, hn::Set(df, 0.5f));  // floor below is the truncation of this non-negative sum
    } else {
      r = hn::Round(t);
    }
    const VI q = hn::ConvertTo(di, hn::Min(r, qmax));
    const VI sign = hn::And(x, hn::Set(di, static_cast<int32_t>(0x80000000u)));
    if constexpr (kValues) {
      const VF mag = hn::Mul(hn::ConvertTo(df, q), hn::BitCast(df, hn::Add(value_base, hn::ShiftLeft<23>(sh))));
      hn::StoreU(hn::BitCast(df, hn::Or(hn::BitCast(di, mag), sign)), df, values + v);
    } else {
      const hn::RebindToUnsigned<DI> du;
      const VI s = hn::BitCast(di, hn::ShiftRight<31>(hn::BitCast(du, x)));  // -0 too (§4.3)
      const VI code = hn::Or(q, hn::ShiftLeft<kM>(s));
      // Code shift within its 4-group's packed word: (i mod 4) * w.
      const VI lane_shift = hn::Mul(hn::And(idx, hn::Set(di, 3)), hn::Set(di, kW));
      hn::Store(BlockOr(code << lane_shift), di, buf + v);
    }
  }
  if constexpr (!kValues) {
    std::memcpy(record, &meta.word, 4);
    // Two 4-groups = 8 codes = w bytes of the little-endian stream (§7).
    uint8_t* payload = record + 4;
    for (int k = 0; k < 8; ++k) {
      uint64_t lo = static_cast<uint32_t>(buf[8 * k]), hi = static_cast<uint32_t>(buf[8 * k + 4]);
      if constexpr (!kBlocks) {
        for (int i = 1; i < 4; ++i) {
          lo |= static_cast<uint32_t>(buf[8 * k + i]);
          hi |= static_cast<uint32_t>(buf[8 * k + 4 + i]);
        }
      }
      const uint64_t word = lo | (hi << (4 * kW));
      std::memcpy(payload + k * kW, &word, kW);
    }
  }
}

// Decodes one unit; scale code 0xFF is a NaN unit (§7).
template <int kM>
HWY_INLINE void DequantizeUnit(const uint8_t* HWY_RESTRICT record, float* HWY_RESTRICT out) {
  constexpr int kW = kM + 1;
  if (record[0] == 0xFF) {
    std::fill(out, out + d::kUnit, std::bit_cast<float>(0x7FC00000u));
    return;
  }
  const DI di;
  const DF df;
  const uint32_t c = record[0];
  const uint32_t s_bits = ((c >> 2) - 48 + 127) << 23 | (c & 3u) << 21;  // S = (1 + f/4) * 2^E
  const VI b8 = hn::Set(di, record[1]);
  const VI b4 = hn::Set(di, record[2] | (record[3] << 8));
  const VI value_base = hn::Set(di, static_cast<int32_t>(s_bits - ((kM - 1u) << 23)));
  // The payload with slack, so every lane can read 4 bytes at its code's byte.
  HWY_ALIGN uint8_t payload[8 * kW + 8] = {};
  std::memcpy(payload, record + 4, 8 * kW);
  const VI code_mask = hn::Set(di, (1 << kW) - 1);
  const VI q_mask = hn::Set(di, (1 << kM) - 1);
  for (size_t v = 0; v < d::kUnit; v += kLanes) {
    const VI idx = hn::Iota(di, static_cast<int32_t>(v));
    const VI bit = hn::Mul(idx, hn::Set(di, kW));
    const VI word = hn::GatherOffset(di, reinterpret_cast<const int32_t*>(payload), hn::ShiftRight<3>(bit));
    const VI code = hn::And(word >> hn::And(bit, hn::Set(di, 7)), code_mask);
    const VI sh = Shifts(di, idx, b8, b4);
    const VF mag = hn::Mul(hn::ConvertTo(df, hn::And(code, q_mask)),
                           hn::BitCast(df, hn::Add(value_base, hn::ShiftLeft<23>(sh))));
    const VI sign = hn::ShiftLeft<31>(hn::ShiftRight<kM>(code));
    hn::StoreU(hn::BitCast(df, hn::Or(hn::BitCast(di, mag), sign)), df, out + v);
  }
}

// Units [r0, r1) of lines of length L stored back to back at x (unit r = line
// r / U, piece r % U). Codes go to codes + r * unit bytes, values to values at
// the element's own offset (only the line's real elements are written).
template <int kM, Hif4Mode kMode, bool kValues>
void QuantizeUnits(const float* x, int64_t L, int64_t r0, int64_t r1, uint8_t* codes, float* values) {
  const int64_t U = (L + d::kUnit - 1) / d::kUnit;
  constexpr int64_t kBytes = hif4_unit_bytes(kM);
  HWY_ALIGN float pad_in[d::kUnit];
  HWY_ALIGN float pad_out[d::kUnit];
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t line = r / U, start = (r % U) * d::kUnit;
    const int64_t valid = std::min<int64_t>(d::kUnit, L - start);
    const float* src = x + line * L + start;
    uint8_t* rec = kValues ? nullptr : codes + r * kBytes;
    float* dst = kValues ? values + line * L + start : nullptr;
    if (valid == d::kUnit) {
      QuantizeUnit<kM, kMode, kValues>(src, rec, dst);
    } else {  // the line's tail: zero padding (§6)
      std::fill(pad_in, pad_in + d::kUnit, 0.0f);
      std::copy(src, src + valid, pad_in);
      QuantizeUnit<kM, kMode, kValues>(pad_in, rec, pad_out);
      if constexpr (kValues) std::copy(pad_out, pad_out + valid, dst);
    }
  }
}

template <int kM>
void DequantizeUnits(const uint8_t* in, int64_t L, int64_t r0, int64_t r1, float* out) {
  const int64_t U = (L + d::kUnit - 1) / d::kUnit;
  constexpr int64_t kBytes = hif4_unit_bytes(kM);
  HWY_ALIGN float pad_out[d::kUnit];
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t line = r / U, start = (r % U) * d::kUnit;
    const int64_t valid = std::min<int64_t>(d::kUnit, L - start);
    float* dst = out + line * L + start;
    if (valid == d::kUnit) {
      DequantizeUnit<kM>(in + r * kBytes, dst);
    } else {
      DequantizeUnit<kM>(in + r * kBytes, pad_out);
      std::copy(pad_out, pad_out + valid, dst);
    }
  }
}

template <Hif4Mode kMode, bool kValues>
void QuantizeUnitsM(int m, const float* x, int64_t L, int64_t r0, int64_t r1, uint8_t* codes, float* values) {
  switch (m) {
    case 1: return QuantizeUnits<1, kMode, kValues>(x, L, r0, r1, codes, values);
    case 2: return QuantizeUnits<2, kMode, kValues>(x, L, r0, r1, codes, values);
    case 3: return QuantizeUnits<3, kMode, kValues>(x, L, r0, r1, codes, values);
    default: return QuantizeUnits<4, kMode, kValues>(x, L, r0, r1, codes, values);
  }
}

// Exported entry points: codes != nullptr encodes, else fake-quantises into values.
void Hif4QuantizeUnits(int m, int mode, const float* x, int64_t L, int64_t r0, int64_t r1, uint8_t* codes,
                       float* values) {
  if (mode == static_cast<int>(Hif4Mode::kAway)) {
    if (codes) QuantizeUnitsM<Hif4Mode::kAway, false>(m, x, L, r0, r1, codes, values);
    else QuantizeUnitsM<Hif4Mode::kAway, true>(m, x, L, r0, r1, codes, values);
  } else {
    if (codes) QuantizeUnitsM<Hif4Mode::kEven, false>(m, x, L, r0, r1, codes, values);
    else QuantizeUnitsM<Hif4Mode::kEven, true>(m, x, L, r0, r1, codes, values);
  }
}

void Hif4DequantizeUnits(int m, const uint8_t* in, int64_t L, int64_t r0, int64_t r1, float* out) {
  switch (m) {
    case 1: return DequantizeUnits<1>(in, L, r0, r1, out);
    case 2: return DequantizeUnits<2>(in, L, r0, r1, out);
    case 3: return DequantizeUnits<3>(in, L, r0, r1, out);
    default: return DequantizeUnits<4>(in, L, r0, r1, out);
  }
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <string>
#include <vector>

#include "hifloat/error.h"
#include "kernels/parallel_for.h"

namespace hifloat::kernels {

HWY_EXPORT(Hif4QuantizeUnits);
HWY_EXPORT(Hif4DequantizeUnits);

namespace {

constexpr int64_t kUnitLen = 64;
// Elements per thread below which fewer threads are used (as thread_pool.h).
constexpr int64_t kMinElements = int64_t{1} << 15;
// Elements gathered per scratch batch for blocking along a non-last axis
// (at least 16 lines of 4096 elements: whole cache lines of each row).
constexpr int64_t kBatchElements = int64_t{1} << 16;
constexpr int64_t kMaxBatchLines = 256;

void check_m(int m) {
  if (m < 1 || m > 4) throw Error("hif4 kernels: magnitude bits m = " + std::to_string(m) + ", expected 1..4");
}

int threads_for(int64_t elements, int threads) {
  const int t = resolve_threads(threads);
  return static_cast<int>(std::clamp<int64_t>(elements / kMinElements, 1, t));
}

int64_t units_per_line(const LineGeometry& g) { return (g.length + kUnitLen - 1) / kUnitLen; }

// Runs body(line0, line1, line_buffer_in, line_buffer_out) over batches of
// lines gathered into contiguous scratch (blocking axis not last), threaded
// over lines. `gather_in` copies the input lines, `scatter_out` the output.
template <typename Body>
void for_line_batches(const LineGeometry& g, int threads, bool gather_in, bool scatter_out, const float* x, float* y,
                      Body body) {
  const int64_t L = g.length;
  const int64_t batch = std::clamp<int64_t>(kBatchElements / std::max<int64_t>(L, 1), 1, kMaxBatchLines);
  parallel_for(g.lines, threads_for(g.lines * L, threads), batch, [&](int64_t b, int64_t e) {
    std::vector<float> in_buf(gather_in ? static_cast<size_t>(batch * L) : 0);
    std::vector<float> out_buf(scatter_out ? static_cast<size_t>(batch * L) : 0);
    for (int64_t o0 = b; o0 < e; o0 += batch) {
      const int64_t n = std::min(batch, e - o0);
      // Consecutive lines with the same outer index are adjacent in memory,
      // so the copies run over lines innermost (contiguous in the tensor).
      int64_t base[kMaxBatchLines];
      for (int64_t k = 0; k < n; ++k) base[k] = g.line_base(o0 + k);
      if (gather_in) {
        for (int64_t i = 0; i < L; ++i) {
          for (int64_t k = 0; k < n; ++k) in_buf[static_cast<size_t>(k * L + i)] = x[base[k] + i * g.inner];
        }
      }
      body(o0, n, in_buf.data(), out_buf.data());
      if (scatter_out) {
        for (int64_t i = 0; i < L; ++i) {
          for (int64_t k = 0; k < n; ++k) y[base[k] + i * g.inner] = out_buf[static_cast<size_t>(k * L + i)];
        }
      }
    }
  });
}

}  // namespace

void hif4_encode(int m, Hif4Mode mode, const float* x, const LineGeometry& g, uint8_t* out, int threads) {
  check_m(m);
  const int64_t U = units_per_line(g), bytes = hif4_unit_bytes(m);
  if (g.lines == 0 || U == 0) return;
  if (g.inner == 1) {  // lines are contiguous: thread over units
    parallel_for(g.lines * U, threads_for(g.lines * g.length, threads), 16, [&](int64_t b, int64_t e) {
      HWY_DYNAMIC_DISPATCH(Hif4QuantizeUnits)(m, static_cast<int>(mode), x, g.length, b, e, out, nullptr);
    });
    return;
  }
  for_line_batches(g, threads, true, false, x, nullptr, [&](int64_t o0, int64_t n, const float* in, float*) {
    HWY_DYNAMIC_DISPATCH(Hif4QuantizeUnits)(m, static_cast<int>(mode), in, g.length, 0, n * U, out + o0 * U * bytes,
                                            nullptr);
  });
}

void hif4_fake_quant(int m, Hif4Mode mode, const float* x, const LineGeometry& g, float* out, int threads) {
  check_m(m);
  const int64_t U = units_per_line(g);
  if (g.lines == 0 || U == 0) return;
  if (g.inner == 1) {
    parallel_for(g.lines * U, threads_for(g.lines * g.length, threads), 16, [&](int64_t b, int64_t e) {
      HWY_DYNAMIC_DISPATCH(Hif4QuantizeUnits)(m, static_cast<int>(mode), x, g.length, b, e, nullptr, out);
    });
    return;
  }
  for_line_batches(g, threads, true, true, x, out, [&](int64_t, int64_t n, const float* in, float* values) {
    HWY_DYNAMIC_DISPATCH(Hif4QuantizeUnits)(m, static_cast<int>(mode), in, g.length, 0, n * U, nullptr, values);
  });
}

void hif4_decode(int m, const uint8_t* in, const LineGeometry& g, float* out, int threads) {
  check_m(m);
  const int64_t U = units_per_line(g), bytes = hif4_unit_bytes(m);
  if (g.lines == 0 || U == 0) return;
  if (g.inner == 1) {
    parallel_for(g.lines * U, threads_for(g.lines * g.length, threads), 16, [&](int64_t b, int64_t e) {
      HWY_DYNAMIC_DISPATCH(Hif4DequantizeUnits)(m, in, g.length, b, e, out);
    });
    return;
  }
  for_line_batches(g, threads, false, true, nullptr, out, [&](int64_t o0, int64_t n, const float*, float* values) {
    HWY_DYNAMIC_DISPATCH(Hif4DequantizeUnits)(m, in + o0 * U * bytes, g.length, 0, n * U, values);
  });
}

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
