// NVFP4 (spec/BASELINES.md §2 and §3): blocks of 16 E2M1 elements with an
// E4M3 block scale, and by default an fp32 per-tensor scale.
//
// - `nvfp4` (tensor_scale=on, §2) follows torchao's arithmetic order: fp32
//   tensor scale g = amax/2688 in the header, block scale s = E4M3(clamp(bmax/6/g,
//   2^-6, 448)), total scale T = g·s, elements |x|/T (division, not a reciprocal).
// - `nvfp4:tensor_scale=off` (§3) is the official HiFloat4 library's nvf4: the
//   block scale S = E4M3(min(bmax/6, 448)) including subnormals and zero (a
//   double rounding: fp32 quotient, then E4M3), elements |x|/S.
//
// Every fp32 step below is one IEEE binary32 operation (the build disables FMA
// contraction), which is what RN32(...) means in the spec.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "formats/bitpack.h"
#include "formats/formats.h"
#include "formats/little_endian.h"
#include "formats/minifloat.h"
#include "hifloat/error.h"

namespace hifloat {

namespace {

constexpr int64_t kBlock = 16;
constexpr size_t kRecordBytes = 1 + kBlock / 2;  // scale code + 16 nibbles
constexpr size_t kHeaderBytes = 4;               // fp32 tensor scale g
constexpr uint8_t kNanBlockScale = 0x7F;         // E4M3 NaN code marks a NaN block
constexpr float kE2M1Max = 6.0f;
constexpr float kE4M3Max = 448.0f;

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

class Nvfp4Codec final : public Codec {
 public:
  explicit Nvfp4Codec(const FormatSpec& spec) : Codec(spec), tensor_scale_(spec.option("tensor_scale") == "on") {}

  int64_t block_size() const override { return kBlock; }
  size_t record_bytes(int64_t) const override { return kRecordBytes; }
  size_t header_bytes() const override { return tensor_scale_ ? kHeaderBytes : 0; }

  // §2 step 1: g = RN32(amax_t / 2688) over the finite elements, 1 if it is 0.
  void encode_header(std::span<const float> x, uint8_t* header) const override {
    if (!tensor_scale_) return;
    float amax = 0.0f;
    for (float v : x) {
      if (std::isfinite(v)) amax = std::max(amax, std::fabs(v));
    }
    float g = amax / 2688.0f;
    if (g == 0.0f) g = 1.0f;
    store_f32_le(g, header);
  }

  void encode_block(std::span<const float> x, const BlockContext& ctx, uint8_t* record) const override {
    uint8_t codes[kBlock] = {};
    // NaN block (§2 step 2.1, §3 step 1): scale code 0x7F, element codes 0.
    if (std::any_of(x.begin(), x.end(), [](float v) { return std::isnan(v); })) {
      record[0] = kNanBlockScale;
      pack_codes(codes, kBlock, 4, record + 1);
      return;
    }
    float bmax = 0.0f;  // may be +Inf
    for (float v : x) bmax = std::max(bmax, std::fabs(v));

    uint8_t scale_code;
    float total_scale;  // T (tensor_scale=on) or S (off): elements are |x| / total_scale
    if (tensor_scale_) {
      const float g = load_f32_le(ctx.header);
      const float b = bmax / 6.0f;
      const float s_raw = b / g;
      const float s_c = std::min(std::max(s_raw, 0x1p-6f), kE4M3Max);  // +Inf gives 448
      scale_code = minifloat_round_even(s_c, kE4M3);                    // 0x08..0x7E
      const float s = static_cast<float>(minifloat_magnitude(scale_code, kE4M3));
      total_scale = g * s;  // T = RN32(g × s); 0 only when g < 2^-143
    } else {
      const float sf = std::min(bmax / 6.0f, kE4M3Max);  // +Inf gives 448
      scale_code = minifloat_round_even(sf, kE4M3);      // subnormals and 0 included: 0x00..0x7E
      total_scale = static_cast<float>(minifloat_magnitude(scale_code, kE4M3));
    }

    for (int64_t i = 0; i < kBlock; ++i) {
      uint8_t mag = 0;  // total_scale = 0: every magnitude code is 0
      if (total_scale != 0.0f) {
        const float v = std::min(std::fabs(x[i]) / total_scale, kE2M1Max);  // division, ±Inf gives 6
        mag = minifloat_round_even(v, kE2M1);
      }
      // The input's sign is kept even when the magnitude rounds to 0 (§0).
      codes[i] = static_cast<uint8_t>((std::signbit(x[i]) ? 0x8 : 0x0) | mag);
    }
    record[0] = scale_code;
    pack_codes(codes, kBlock, 4, record + 1);
  }

  void decode_block(const uint8_t* record, const uint8_t* header, std::span<float> out) const override {
    const uint8_t scale_code = record[0];
    if (scale_code == kNanBlockScale) {
      std::fill(out.begin(), out.end(), std::numeric_limits<float>::quiet_NaN());
      return;
    }
    if (scale_code & 0x80) {
      throw Error("format '" + spec().str() + "': block scale code " + hex_byte(scale_code) +
                  " has its sign bit set (block scales are unsigned E4M3 codes 0x00..0x7F)");
    }
    float total_scale = static_cast<float>(minifloat_magnitude(scale_code, kE4M3));
    if (tensor_scale_) {
      const float g = load_f32_le(header);
      if (!(g > 0.0f) || !std::isfinite(g)) {
        throw Error("format '" + spec().str() + "': the header's tensor scale " + std::to_string(g) +
                    " is not a positive finite fp32 value");
      }
      total_scale = g * total_scale;  // T = RN32(g × s), the encoder's T
    }
    uint8_t codes[kBlock];
    unpack_codes(record + 1, kBlock, 4, codes);
    for (int64_t i = 0; i < kBlock; ++i) {
      const float q = static_cast<float>(minifloat_magnitude(codes[i] & 0x7, kE2M1));
      const float v = q * total_scale;  // x̂ = RN32(q × T); exact when tensor_scale=off
      out[i] = (codes[i] & 0x8) ? -v : v;
    }
  }

 private:
  bool tensor_scale_;
};

}  // namespace

std::unique_ptr<Codec> make_nvfp4_codec(const FormatSpec& spec) { return std::make_unique<Nvfp4Codec>(spec); }

}  // namespace hifloat
