// fp8_e4m3 and fp8_e5m2 (spec/BASELINES.md §5, §6) as codecs and over arrays.
// The element arithmetic lives in the header-only include/hifloat/fp8.h; this
// file adapts it. Elementwise: block size 1, one byte per element in C order.
#include <string>

#include "formats/formats.h"
#include "hifloat/error.h"
#include "hifloat/fp8_array.h"
#include "kernels/fp8_kernels.h"
#include "kernels/thread_pool.h"

namespace hifloat {

E4M3Overflow fp8_e4m3_overflow(const FormatSpec& spec) {
  if (spec.name != "fp8_e4m3") throw Error("format '" + spec.name + "' is not fp8_e4m3");
  return spec.option("overflow") == "nan" ? E4M3Overflow::kNaN : E4M3Overflow::kSaturate;
}

E5M2Overflow fp8_e5m2_overflow(const FormatSpec& spec) {
  if (spec.name != "fp8_e5m2") throw Error("format '" + spec.name + "' is not fp8_e5m2");
  return spec.option("overflow") == "saturate" ? E5M2Overflow::kSaturate : E5M2Overflow::kInf;
}

namespace {

// The two formats as one type: which one, with its overflow option resolved.
struct E4M3 {
  E4M3Overflow overflow;
  uint8_t encode(double x) const { return fp8_e4m3_encode(x, overflow); }
  static float decode(uint8_t c) { return fp8_e4m3_decode(c); }
};
struct E5M2 {
  E5M2Overflow overflow;
  uint8_t encode(double x) const { return fp8_e5m2_encode(x, overflow); }
  static float decode(uint8_t c) { return fp8_e5m2_decode(c); }
};

void check_sizes(size_t in, size_t out, const char* what) {
  if (in != out) {
    throw Error(std::string(what) + ": input has " + std::to_string(in) + " elements but output has " +
                std::to_string(out));
  }
}

template <typename Fmt, typename T>
void encode_any(const Fmt& f, std::span<const T> in, std::span<uint8_t> out, const char* what) {
  check_sizes(in.size(), out.size(), what);
  for (size_t i = 0; i < in.size(); ++i) out[i] = f.encode(static_cast<double>(static_cast<float>(in[i])));
}

template <typename Fmt, typename T>
void decode_any(std::span<const uint8_t> in, std::span<T> out, const char* what) {
  check_sizes(in.size(), out.size(), what);
  for (size_t i = 0; i < in.size(); ++i) out[i] = T(Fmt::decode(in[i]));
}

template <typename Fmt, typename T>
void fake_quant_any(const Fmt& f, std::span<const T> in, std::span<T> out, const char* what) {
  check_sizes(in.size(), out.size(), what);
  for (size_t i = 0; i < in.size(); ++i) {
    out[i] = T(Fmt::decode(f.encode(static_cast<double>(static_cast<float>(in[i])))));
  }
}

template <typename Fmt>
class Fp8Codec final : public Codec {
 public:
  Fp8Codec(const FormatSpec& spec, Fmt fmt) : Codec(spec), fmt_(fmt) {}
  int64_t block_size() const override { return 1; }
  size_t record_bytes(int64_t) const override { return 1; }
  void encode_block(std::span<const float> x, const BlockContext&, uint8_t* record) const override {
    record[0] = fmt_.encode(static_cast<double>(x[0]));
  }
  void decode_block(const uint8_t* record, const uint8_t*, std::span<float> out) const override {
    out[0] = Fmt::decode(record[0]);
  }

 private:
  Fmt fmt_;
};

}  // namespace

// The fast path (src/kernels/fp8_kernels.cc) unless exec.reference is set.
#define HIFLOAT_FP8_ARRAY_FUNCTIONS(NAME, FMT, OVERFLOW)                                                 \
  template <typename T>                                                                                  \
  void NAME##_encode_impl(std::span<const T> in, std::span<uint8_t> out, OVERFLOW o, const ExecOptions& exec) { \
    const int threads = kernels::resolve_threads(exec.threads);                                         \
    if (exec.reference) return encode_any(FMT{o}, in, out, #NAME "_encode");                             \
    check_sizes(in.size(), out.size(), #NAME "_encode");                                                 \
    kernels::NAME##_encode(in.data(), out.data(), in.size(), o, threads);                                \
  }                                                                                                      \
  template <typename T>                                                                                  \
  void NAME##_decode_impl(std::span<const uint8_t> in, std::span<T> out, const ExecOptions& exec) {     \
    const int threads = kernels::resolve_threads(exec.threads);                                         \
    if (exec.reference) return decode_any<FMT>(in, out, #NAME "_decode");                                \
    check_sizes(in.size(), out.size(), #NAME "_decode");                                                 \
    kernels::NAME##_decode(in.data(), out.data(), in.size(), threads);                                   \
  }                                                                                                      \
  template <typename T>                                                                                  \
  void NAME##_fake_quant_impl(std::span<const T> in, std::span<T> out, OVERFLOW o, const ExecOptions& exec) { \
    const int threads = kernels::resolve_threads(exec.threads);                                         \
    if (exec.reference) return fake_quant_any(FMT{o}, in, out, #NAME "_fake_quant");                     \
    check_sizes(in.size(), out.size(), #NAME "_fake_quant");                                             \
    kernels::NAME##_fake_quant(in.data(), out.data(), in.size(), o, threads);                            \
  }                                                                                                      \
  void NAME##_encode(std::span<const float> in, std::span<uint8_t> out, OVERFLOW o, const ExecOptions& e) { \
    NAME##_encode_impl(in, out, o, e);                                                                   \
  }                                                                                                      \
  void NAME##_encode(std::span<const float16> in, std::span<uint8_t> out, OVERFLOW o, const ExecOptions& e) { \
    NAME##_encode_impl(in, out, o, e);                                                                   \
  }                                                                                                      \
  void NAME##_encode(std::span<const bfloat16> in, std::span<uint8_t> out, OVERFLOW o, const ExecOptions& e) { \
    NAME##_encode_impl(in, out, o, e);                                                                   \
  }                                                                                                      \
  void NAME##_decode(std::span<const uint8_t> in, std::span<float> out, const ExecOptions& e) {         \
    NAME##_decode_impl(in, out, e);                                                                      \
  }                                                                                                      \
  void NAME##_decode(std::span<const uint8_t> in, std::span<float16> out, const ExecOptions& e) {       \
    NAME##_decode_impl(in, out, e);                                                                      \
  }                                                                                                      \
  void NAME##_decode(std::span<const uint8_t> in, std::span<bfloat16> out, const ExecOptions& e) {      \
    NAME##_decode_impl(in, out, e);                                                                      \
  }                                                                                                      \
  void NAME##_fake_quant(std::span<const float> in, std::span<float> out, OVERFLOW o, const ExecOptions& e) { \
    NAME##_fake_quant_impl(in, out, o, e);                                                               \
  }                                                                                                      \
  void NAME##_fake_quant(std::span<const float16> in, std::span<float16> out, OVERFLOW o, const ExecOptions& e) { \
    NAME##_fake_quant_impl(in, out, o, e);                                                               \
  }                                                                                                      \
  void NAME##_fake_quant(std::span<const bfloat16> in, std::span<bfloat16> out, OVERFLOW o, const ExecOptions& e) { \
    NAME##_fake_quant_impl(in, out, o, e);                                                               \
  }

HIFLOAT_FP8_ARRAY_FUNCTIONS(fp8_e4m3, E4M3, E4M3Overflow)
HIFLOAT_FP8_ARRAY_FUNCTIONS(fp8_e5m2, E5M2, E5M2Overflow)

#undef HIFLOAT_FP8_ARRAY_FUNCTIONS

std::unique_ptr<Codec> make_fp8_e4m3_codec(const FormatSpec& spec) {
  return std::make_unique<Fp8Codec<E4M3>>(spec, E4M3{fp8_e4m3_overflow(spec)});
}

std::unique_ptr<Codec> make_fp8_e5m2_codec(const FormatSpec& spec) {
  return std::make_unique<Fp8Codec<E5M2>>(spec, E5M2{fp8_e5m2_overflow(spec)});
}

}  // namespace hifloat
