// HiF8 (spec/HIF8.md) as a codec and over arrays. The element arithmetic lives
// in the header-only include/hifloat/hif8.h; this file adapts it. The array
// functions run the SIMD/threaded kernels (src/kernels/hif8_kernels.cc) unless
// ExecOptions::reference asks for the scalar loops.
#include <charconv>
#include <string>

#include "formats/formats.h"
#include "hifloat/error.h"
#include "hifloat/hif8_array.h"
#include "kernels/hif8_kernels.h"
#include "kernels/thread_pool.h"

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

template <typename In>
void encode_any(std::span<const In> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first,
                const ExecOptions& exec) {
  check_sizes(in, out.size(), "hif8_encode");
  const int threads = kernels::resolve_threads(exec.threads);
  if (exec.reference) return kernels::hif8_encode_reference(in.data(), out.data(), in.size(), opt, first);
  kernels::hif8_encode(in.data(), out.data(), in.size(), opt, first, threads);
}

template <typename Out>
void decode_any(std::span<const uint8_t> in, std::span<Out> out, const ExecOptions& exec) {
  check_sizes(in, out.size(), "hif8_decode");
  const int threads = kernels::resolve_threads(exec.threads);
  if (exec.reference) return kernels::hif8_decode_reference(in.data(), out.data(), in.size());
  kernels::hif8_decode(in.data(), out.data(), in.size(), threads);
}

template <typename T>
void fake_quant_any(std::span<const T> in, std::span<T> out, const Hif8Options& opt, uint64_t first,
                    const ExecOptions& exec) {
  check_sizes(in, out.size(), "hif8_fake_quant");
  const int threads = kernels::resolve_threads(exec.threads);
  if (exec.reference) return kernels::hif8_fake_quant_reference(in.data(), out.data(), in.size(), opt, first);
  kernels::hif8_fake_quant(in.data(), out.data(), in.size(), opt, first, threads);
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

void hif8_encode(std::span<const float> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first,
                 const ExecOptions& exec) {
  encode_any(in, out, opt, first, exec);
}
void hif8_encode(std::span<const float16> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first,
                 const ExecOptions& exec) {
  encode_any(in, out, opt, first, exec);
}
void hif8_encode(std::span<const bfloat16> in, std::span<uint8_t> out, const Hif8Options& opt, uint64_t first,
                 const ExecOptions& exec) {
  encode_any(in, out, opt, first, exec);
}
void hif8_decode(std::span<const uint8_t> in, std::span<float> out, const ExecOptions& exec) {
  decode_any(in, out, exec);
}
void hif8_decode(std::span<const uint8_t> in, std::span<float16> out, const ExecOptions& exec) {
  decode_any(in, out, exec);
}
void hif8_decode(std::span<const uint8_t> in, std::span<bfloat16> out, const ExecOptions& exec) {
  decode_any(in, out, exec);
}
void hif8_fake_quant(std::span<const float> in, std::span<float> out, const Hif8Options& opt, uint64_t first,
                     const ExecOptions& exec) {
  fake_quant_any(in, out, opt, first, exec);
}
void hif8_fake_quant(std::span<const float16> in, std::span<float16> out, const Hif8Options& opt, uint64_t first,
                     const ExecOptions& exec) {
  fake_quant_any(in, out, opt, first, exec);
}
void hif8_fake_quant(std::span<const bfloat16> in, std::span<bfloat16> out, const Hif8Options& opt,
                     uint64_t first, const ExecOptions& exec) {
  fake_quant_any(in, out, opt, first, exec);
}

std::unique_ptr<Codec> make_hif8_codec(const FormatSpec& spec) { return std::make_unique<Hif8Codec>(spec); }

}  // namespace hifloat
