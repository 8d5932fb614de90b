// The HiFloat4 family (spec/HIF4.md): hif4 (alias hifx4), hifx2, hifx3, hifx5.
//
// One codec parameterised by m, the number of magnitude bits per element.
// A unit is 64 values along the blocking axis: an E6M2 scale S, eight 8-group
// flags b8, sixteen 4-group flags b4 and 64 elements (sign + m-bit magnitude q),
// decoding to  (-1)^s * q/2^(m-1) * 2^(b8[i>>3] + b4[i>>2]) * S   (§3).
//
// Encoding reproduces the reference path's fp32 arithmetic bit for bit (§5,
// decision D1). Every step marked RN32 in the spec is written below as exactly
// one float operation; the project compiles with -ffp-contract=off, so no step
// is fused, and nothing is evaluated in a wider type.
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "formats/formats.h"
#include "hifloat/error.h"
#include "hifloat/philox.h"

namespace hifloat {

namespace {

constexpr int kUnit = 64;  // values per unit (§3)

enum class Hif4Rounding { kAway, kEven, kStochastic };

// §1: fp32 value rounded to the nearest bf16 value, ties to even, returned as
// fp32. This is the bit recipe of §9: it keeps ±Inf, rounds values at or past
// the bf16 overflow point to ±Inf and handles subnormals. NaN never gets here.
float round_to_bf16(float v) {
  const uint32_t u = std::bit_cast<uint32_t>(v);
  return std::bit_cast<float>((u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u);
}

// The unit scale of §5 steps 3-6.
struct Scale {
  uint8_t code;  // E6M2 code ((E + 48) << 2) | f
  float R;       // the reciprocal every later step multiplies by
};

Scale choose_scale(float M) {
  // Step 3: bf16(1/7) = 73/512 (0x3E120000), deliberately not fp32(1/7).
  constexpr float kOneSeventhBf16 = 0.142578125f;
  static_assert(std::bit_cast<uint32_t>(kOneSeventhBf16) == 0x3E120000u);
  const float t0 = M * kOneSeventhBf16;  // RN32

  // Step 4: a second rounding, to bf16, then the clamp to [2^-48, 49152].
  const float t1 = round_to_bf16(t0);
  const float t = std::fmin(std::fmax(t1, 0x1p-48f), 49152.0f);

  // Step 5: t = (1 + k/128) * 2^E, a normal bf16 value; f = RNE(k/32).
  const uint32_t tb = std::bit_cast<uint32_t>(t);
  int E = static_cast<int>(tb >> 23) - 127;
  const uint32_t k = (tb >> 16) & 0x7Fu;
  uint32_t f = k / 32;
  const uint32_t rem = k % 32;
  if (rem > 16 || (rem == 16 && (f & 1u))) ++f;  // ties (k = 16, 48, 80, 112) go to even f
  if (f == 4) {                                   // rounded up to the next binade
    f = 0;
    ++E;
  }
  // t <= 49152 = 1.5 * 2^15 and t >= 2^-48, so -48 <= E <= 15 and the code is 0x00..0xFE.
  const float S = std::ldexp(1.0f + static_cast<float>(f) * 0.25f, E);  // exact

  // Step 6: R = RNbf16(RN32(1 / S)). Nothing ever divides by S.
  const float R = round_to_bf16(1.0f / S);
  return {static_cast<uint8_t>(((E + 48) << 2) | static_cast<int>(f)), R};
}

class Hif4Codec final : public Codec {
 public:
  Hif4Codec(const FormatSpec& spec, int m)
      : Codec(spec), m_(m), qmax_((1u << m) - 1u), width_(m + 1), rounding_(parse_rounding(spec)) {
    const std::string& s = spec.option("seed");
    std::from_chars(s.data(), s.data() + s.size(), seed_);  // validated by the registry
  }

  int64_t block_size() const override { return kUnit; }
  // §7: 4 bytes of metadata, then 64 codes of m+1 bits (20/28/36/44 bytes).
  size_t record_bytes(int64_t) const override { return 4 + static_cast<size_t>(kUnit * width_ / 8); }

  void encode_block(std::span<const float> x, const BlockContext& ctx, uint8_t* record) const override {
    std::memset(record, 0, record_bytes(kUnit));

    // §4.1 (D2): a unit with any NaN is a NaN unit: scale code 0xFF, all else 0.
    for (int i = 0; i < kUnit; ++i) {
      if (std::isnan(x[i])) {
        record[0] = 0xFF;
        return;
      }
    }

    // Step 1: magnitudes; the sign comes from the sign bit, so -0 has s = 1 (§4.3).
    float a[kUnit];
    for (int i = 0; i < kUnit; ++i) a[i] = std::fabs(x[i]);

    // Step 2: group maxima (no NaN here, so plain max is the reference's max).
    float m4[16], m8[8];
    for (int j = 0; j < 16; ++j) {
      m4[j] = std::fmax(std::fmax(a[4 * j], a[4 * j + 1]), std::fmax(a[4 * j + 2], a[4 * j + 3]));
    }
    float M = 0.0f;
    for (int k = 0; k < 8; ++k) {
      m8[k] = std::fmax(m4[2 * k], m4[2 * k + 1]);
      M = std::fmax(M, m8[k]);
    }

    // Steps 3-6. M = +Inf gives t = 49152 (§4.2).
    const Scale sc = choose_scale(M);

    // Step 7: b8[k] = RN32(m8[k] * R) >= 4.
    uint32_t b8 = 0;
    for (int k = 0; k < 8; ++k) {
      const float p = m8[k] * sc.R;  // RN32
      if (p >= 4.0f) b8 |= 1u << k;
    }
    // Step 8: b4[j] = RN32(RN32(m4[j] * R) / 2^b8[j>>1]) >= 2.
    uint32_t b4 = 0;
    for (int j = 0; j < 16; ++j) {
      const float p = m4[j] * sc.R;                          // RN32
      const float d = p / (((b8 >> (j >> 1)) & 1u) ? 2.0f : 1.0f);  // RN32
      if (d >= 2.0f) b4 |= 1u << j;
    }

    const uint32_t meta = sc.code | (b8 << 8) | (b4 << 16);
    for (int byte = 0; byte < 4; ++byte) record[byte] = static_cast<uint8_t>(meta >> (8 * byte));

    // Step 9: elements.
    const float elem_scale = static_cast<float>(1u << (m_ - 1));  // 2^(m-1)
    for (int i = 0; i < kUnit; ++i) {
      const int sh = static_cast<int>(((b8 >> (i >> 3)) & 1u) + ((b4 >> (i >> 2)) & 1u));
      const float div = a[i] / static_cast<float>(1 << sh);  // RN32(a / 2^sh)
      const float y = div * sc.R;                            // RN32(... * R)
      const float t = elem_scale * y;                        // exact (power of two)
      const uint32_t q = i < ctx.valid ? element_magnitude(t, ctx.flat_index(i)) : 0u;  // padding: q = 0, no draw
      const uint32_t s = std::signbit(x[i]) ? 1u : 0u;
      put_code(record + 4, i, (s << m_) | q);
    }
  }

  void decode_block(const uint8_t* record, const uint8_t*, std::span<float> out) const override {
    // §7: scale code 0xFF marks a NaN unit, whatever the other bits hold.
    if (record[0] == 0xFF) {
      for (int i = 0; i < kUnit; ++i) out[i] = std::numeric_limits<float>::quiet_NaN();
      return;
    }
    // §3.1: S = (1 + f/4) * 2^E = (4 + f) * 2^(E-2), E = (c >> 2) - 48.
    const int E = (record[0] >> 2) - 48;
    const uint32_t four_plus_f = 4u + (record[0] & 3u);
    const uint32_t b8 = record[1];
    const uint32_t b4 = record[2] | (static_cast<uint32_t>(record[3]) << 8);
    for (int i = 0; i < kUnit; ++i) {
      const uint32_t code = get_code(record + 4, i);
      const uint32_t q = code & qmax_;
      const int sh = static_cast<int>(((b8 >> (i >> 3)) & 1u) + ((b4 >> (i >> 2)) & 1u));
      // q/2^(m-1) * 2^sh * S = q*(4+f) * 2^(E - 2 + sh - (m-1)): an integer <= 105
      // times a power of two within fp32's normal range, so exact.
      const float mag = std::ldexp(static_cast<float>(q * four_plus_f), E - 2 + sh - (m_ - 1));
      out[i] = (code >> m_) & 1u ? -mag : mag;  // keeps -0 (§4.3)
    }
  }

 private:
  static Hif4Rounding parse_rounding(const FormatSpec& spec) {
    const std::string& r = spec.option("rounding");
    if (r == "away") return Hif4Rounding::kAway;
    if (r == "even") return Hif4Rounding::kEven;
    if (r == "stochastic") return Hif4Rounding::kStochastic;
    throw Error("format '" + spec.name + "': unknown rounding '" + r + "'");
  }

  // Step 9 and §5.1: t = 2^(m-1) * y >= 0 (possibly +Inf) to the magnitude q,
  // saturated at 2^m - 1.
  uint32_t element_magnitude(float t, uint64_t flat_index) const {
    double r = 0.0;  // the rounded value before saturation
    switch (rounding_) {
      case Hif4Rounding::kAway: {
        // floor(RN32(t + 0.5)): the + 0.5 is a real fp32 addition; it gives the
        // spec's 0x3EFFFFFF artefact (t = 0.5 - 2^-25 -> q = 1).
        const float sum = t + 0.5f;  // RN32
        r = std::floor(static_cast<double>(sum));
        break;
      }
      case Hif4Rounding::kEven: {
        // Nearest integer, ties to even, on the exact fp32 value of t.
        const double td = t, fl = std::floor(td);
        const double frac = td - fl;  // exact: the fractional part of a float
        r = (frac > 0.5 || (frac == 0.5 && std::fmod(fl, 2.0) != 0.0)) ? fl + 1.0 : fl;
        break;
      }
      case Hif4Rounding::kStochastic: {
        // floor(t + u), u = k/2^24: the binary64 sum is exact for every fp32 t
        // that can matter (t < 2^29), and larger t saturate anyway.
        const double u = std::ldexp(static_cast<double>(stochastic_draw24(seed_, flat_index)), -24);
        r = std::floor(static_cast<double>(t) + u);
        break;
      }
    }
    return r >= static_cast<double>(qmax_) ? qmax_ : static_cast<uint32_t>(r);  // +Inf saturates too
  }

  // §7: element i occupies bits [i*w, i*w + w) of the little-endian payload
  // bit stream (for hif4: the even element in the low nibble).
  void put_code(uint8_t* payload, int i, uint32_t code) const {
    for (int b = 0; b < width_; ++b) {
      const int bit = i * width_ + b;
      payload[bit >> 3] = static_cast<uint8_t>(payload[bit >> 3] | (((code >> b) & 1u) << (bit & 7)));
    }
  }
  uint32_t get_code(const uint8_t* payload, int i) const {
    uint32_t code = 0;
    for (int b = 0; b < width_; ++b) {
      const int bit = i * width_ + b;
      code |= static_cast<uint32_t>((payload[bit >> 3] >> (bit & 7)) & 1u) << b;
    }
    return code;
  }

  int m_;          // magnitude bits
  uint32_t qmax_;  // 2^m - 1
  int width_;      // bits per element code: sign + m
  Hif4Rounding rounding_;
  uint64_t seed_ = 0;
};

}  // namespace

std::unique_ptr<Codec> make_hif4_codec(const FormatSpec& spec) { return std::make_unique<Hif4Codec>(spec, 3); }
std::unique_ptr<Codec> make_hifx2_codec(const FormatSpec& spec) { return std::make_unique<Hif4Codec>(spec, 1); }
std::unique_ptr<Codec> make_hifx3_codec(const FormatSpec& spec) { return std::make_unique<Hif4Codec>(spec, 2); }
std::unique_ptr<Codec> make_hifx5_codec(const FormatSpec& spec) { return std::make_unique<Hif4Codec>(spec, 4); }

}  // namespace hifloat
