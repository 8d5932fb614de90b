// int4:group=G: group-wise symmetric int4 with an fp16 scale
// (spec/BASELINES.md §8). Blocks are G consecutive elements along the axis,
// tails zero-padded (§0). Record: fp16 scale d (little-endian), then G/2 bytes
// of 4-bit two's-complement codes, element 2p in the low nibble of byte p.
#include <charconv>
#include <cstring>
#include <string>

#include "formats/formats.h"
#include "formats/little_endian.h"
#include "formats/symmetric_int.h"
#include "hifloat/error.h"
#include "hifloat/ieee16.h"

namespace hifloat {

namespace {

constexpr uint16_t kNaNScale = 0x7E00;   // §8 step 1: fp16 NaN
constexpr uint16_t kInfBits = 0x7C00;    // fp16 +Inf, the result of an overflowing RNE_fp16
constexpr uint16_t kMaxBits = 0x7BFF;    // 65504, used instead (§8 step 3)
constexpr uint16_t kOneBits = 0x3C00;    // 1.0, used instead of a zero scale (§8 step 3)

int parse_group(const FormatSpec& spec) {
  const std::string& g = spec.option("group");
  int v = 0;
  const auto [ptr, ec] = std::from_chars(g.data(), g.data() + g.size(), v);
  // The registry already validated it; this guards direct construction.
  if (ec != std::errc() || ptr != g.data() + g.size() || v < 2 || v % 2 != 0) {
    throw Error("int4: group must be an even integer >= 2, got '" + g + "'");
  }
  return v;
}

class Int4Codec final : public Codec {
 public:
  explicit Int4Codec(const FormatSpec& spec) : Codec(spec), group_(parse_group(spec)) {}
  int64_t block_size() const override { return group_; }
  size_t record_bytes(int64_t) const override { return 2 + static_cast<size_t>(group_) / 2; }

  void encode_block(std::span<const float> x, const BlockContext&, uint8_t* record) const override {
    uint8_t* codes = record + 2;
    std::memset(codes, 0, static_cast<size_t>(group_) / 2);
    // 1. A NaN anywhere in the group: fp16 NaN scale, codes 0.
    if (symmetric_int::has_nan(x)) {
      store_u16_le(kNaNScale, record);
      return;
    }
    // 2.-3. d = RNE_fp16(RN32(amax / 7)); fp16 overflow (quotient >= 65520) gives 65504, 0 gives 1.
    uint16_t d_bits = float_to_half_bits(symmetric_int::finite_amax(x) / 7.0f);
    if (d_bits == kInfBits) d_bits = kMaxBits;
    if (d_bits == 0) d_bits = kOneBits;
    store_u16_le(d_bits, record);
    // 4. q = clamp(RNE(RN32(x / d)), -7, 7) with d widened exactly to fp32.
    const float d = half_bits_to_float(d_bits);
    for (size_t i = 0; i < x.size(); ++i) {
      const uint32_t nibble = static_cast<uint32_t>(symmetric_int::quantize(x[i], d, 7)) & 0xFu;
      codes[i / 2] = static_cast<uint8_t>(codes[i / 2] | (nibble << (4 * (i % 2))));
    }
  }

  // x^ = RN32(q * d); a NaN scale gives NaN throughout. Nibble 0x8 (-8) is
  // never written but reads as -8.
  void decode_block(const uint8_t* record, const uint8_t*, std::span<float> out) const override {
    const float d = half_bits_to_float(load_u16_le(record));
    for (size_t i = 0; i < out.size(); ++i) {
      const int nibble = (record[2 + i / 2] >> (4 * (i % 2))) & 0xF;
      const int q = nibble >= 8 ? nibble - 16 : nibble;
      out[i] = static_cast<float>(q) * d;
    }
  }

 private:
  int group_;
};

}  // namespace

std::unique_ptr<Codec> make_int4_codec(const FormatSpec& spec) { return std::make_unique<Int4Codec>(spec); }

}  // namespace hifloat
