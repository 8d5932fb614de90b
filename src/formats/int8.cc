// int8: per-channel symmetric int8 (spec/BASELINES.md §7). The whole line along
// the axis is one block (block_size() == 0: never split, never padded). Record:
// fp32 scale s (little-endian), then L two's-complement codes in line order.
#include <bit>
#include <cstring>
#include <limits>

#include "formats/formats.h"
#include "formats/little_endian.h"
#include "formats/symmetric_int.h"

namespace hifloat {

namespace {

constexpr uint32_t kNaNScale = 0x7FC00000u;  // §7 step 1: the scale of a NaN line

class Int8Codec final : public Codec {
 public:
  explicit Int8Codec(const FormatSpec& spec) : Codec(spec) {}
  int64_t block_size() const override { return 0; }
  size_t record_bytes(int64_t line_len) const override { return 4 + static_cast<size_t>(line_len); }

  void encode_block(std::span<const float> x, const BlockContext&, uint8_t* record) const override {
    uint8_t* codes = record + 4;
    // 1. A NaN anywhere makes the line NaN: NaN scale, codes 0.
    if (symmetric_int::has_nan(x)) {
      store_f32_le(std::bit_cast<float>(kNaNScale), record);
      std::memset(codes, 0, x.size());
      return;
    }
    // 2.-3. s = RN32(amax / 127) over finite elements; 0 (all-zero line or underflow) becomes 1.
    float s = symmetric_int::finite_amax(x) / 127.0f;
    if (s == 0.0f) s = 1.0f;
    store_f32_le(s, record);
    // 4. q = clamp(RNE(RN32(x / s)), -127, 127); +-Inf gives +-127.
    for (size_t i = 0; i < x.size(); ++i) {
      codes[i] = static_cast<uint8_t>(static_cast<int8_t>(symmetric_int::quantize(x[i], s, 127)));
    }
  }

  // x^ = RN32(q * s); a NaN scale gives NaN throughout. Code 0x80 (-128) is
  // never written but reads as -128.
  void decode_block(const uint8_t* record, const uint8_t*, std::span<float> out) const override {
    const float s = load_f32_le(record);
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<float>(static_cast<int8_t>(record[4 + i])) * s;
    }
  }
};

}  // namespace

std::unique_ptr<Codec> make_int8_codec(const FormatSpec& spec) { return std::make_unique<Int8Codec>(spec); }

}  // namespace hifloat
