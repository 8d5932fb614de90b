// HiF8 (spec/HIF8.md) as a codec and over arrays. The element arithmetic lives
// in the header-only include/hifloat/hif8.h; this file adapts it.
#include <charconv>
#include <string>

#include "formats/formats.h"
#include "hifloat/error.h"
#include "hifloat/hif8_array.h"

namespace hifloat {

Hif8Options hif8_options(const FormatSpec& spec) {
  if (spec.name != "hif8") throw Error("format '" + spec.name + "' is not hif8");
  Hif8Options opt;
  const std::string& r = spec.option("rounding");
  opt.rounding = r == "away"   ? Rounding::kAway
                 : r == "even" ? Rounding::kEven
                 : r == "zero" ? Rounding::kZero
                               : Rounding::kStochastic;
  opt.overflow = spec.option("overflow") == "saturate" ? Overflow::kSaturate : Overflow::kInf;
  const std::string& s = spec.option("seed");
  std::from_chars(s.data(), s.data() + s.size(), opt.seed);
  return opt;
}

namespace {

template <typename T>
void check_sizes(std::span<const T> in, size_t out_size, const char* what) {
  if (in.size() != out_size) {
    throw Error(std::string(what) + ": input has " + std::to_string(in.size()) + " elements but output has " +
                std::to_string(out_size));
  }
}

template <typename T>
void encode_any(std::span<const T> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first) {
  check_sizes(in, out.size(), "hif8_encode");
  for (size_t i = 0; i < in.size(); ++i) {
    out[i] = hif8_encode(static_cast<double>(static_cast<float>(in[i])), opt, first + i);
  }
}

template <typename T>
void decode_any(std::span<const uint8_t> in, std::span<T> out) {
  check_sizes(in, out.size(), "hif8_decode");
  for (size_t i = 0; i < in.size(); ++i) out[i] = T(hif8_decode(in[i]));
}

template <typename T>
void fake_quant_any(std::span<const T> in, std::span<T> out, const Hif8Options& opt, uint64_t first) {
  check_sizes(in, out.size(), "hif8_fake_quant");
  for (size_t i = 0; i < in.size(); ++i) {
    out[i] = T(hif8_decode(hif8_encode(static_cast<double>(static_cast<float>(in[i])), opt, first + i)));
  }
}

class Hif8Codec final : public Codec {
 public:
  explicit Hif8Codec(const FormatSpec& spec) : Codec(spec), opt_(hif8_options(spec)) {}
  int64_t block_size() const override { return 1; }
  size_t record_bytes(int64_t) const override { return 1; }
  void encode_block(std::span<const float> x, const BlockContext& ctx, uint8_t* record) const override {
    record[0] = hif8_encode(static_cast<double>(x[0]), opt_, ctx.flat_index(0));
  }
  void decode_block(const uint8_t* record, const uint8_t*, std::span<float> out) const override {
    out[0] = hif8_decode(record[0]);
  }

 private:
  Hif8Options opt_;
};

}  // namespace

void hif8_encode(std::span<const float> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first) {
  encode_any(in, out, opt, first);
}
void hif8_encode(std::span<const float16> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first) {
  encode_any(in, out, opt, first);
}
void hif8_encode(std::span<const bfloat16> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first) {
  encode_any(in, out, opt, first);
}
void hif8_decode(std::span<const uint8_t> in, std::span<float> out) { decode_any(in, out); }
void hif8_decode(std::span<const uint8_t> in, std::span<float16> out) { decode_any(in, out); }
void hif8_decode(std::span<const uint8_t> in, std::span<bfloat16> out) { decode_any(in, out); }
void hif8_fake_quant(std::span<const float> in, std::span<float> out, const Hif8Options& opt, uint64_t first) {
  fake_quant_any(in, out, opt, first);
}
void hif8_fake_quant(std::span<const float16> in, std::span<float16> out, const Hif8Options& opt,
                     uint64_t first) {
  fake_quant_any(in, out, opt, first);
}
void hif8_fake_quant(std::span<const bfloat16> in, std::span<bfloat16> out, const Hif8Options& opt,
                     uint64_t first) {
  fake_quant_any(in, out, opt, first);
}

std::unique_ptr<Codec> make_hif8_codec(const FormatSpec& spec) { return std::make_unique<Hif8Codec>(spec); }

}  // namespace hifloat
