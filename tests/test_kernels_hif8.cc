// The HiF8 fast paths (src/kernels/hif8_kernels.cc) against the scalar
// reference (include/hifloat/hif8.h, element by element) bit for bit: every
// SIMD target this CPU supports, 1/2/7 threads, every rounding mode and
// overflow policy, all 2^16 float16 and bfloat16 inputs, every code for
// decoding, odd lengths and unaligned pointers. The 2^32 float32 sweep is in
// exhaustive_kernels.cc.
#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/hif8_array.h"
#include "kernel_test_util.h"
#include "kernels/hif8_kernels.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::kThreadCounts;

std::vector<Hif8Options> all_options() {
  std::vector<Hif8Options> out;
  for (Rounding r : {Rounding::kAway, Rounding::kEven, Rounding::kZero, Rounding::kStochastic}) {
    for (Overflow o : {Overflow::kInf, Overflow::kSaturate}) {
      out.push_back({r, o, 0});
      if (r == Rounding::kStochastic) out.push_back({r, o, 0x9E3779B97F4A7C15ull});
    }
  }
  return out;
}

std::string describe(const Hif8Options& o) {
  static const char* const kR[] = {"away", "even", "zero", "stochastic"};
  return std::string("rounding=") + kR[static_cast<int>(o.rounding)] +
         (o.overflow == Overflow::kInf ? ",overflow=inf" : ",overflow=saturate") + ",seed=" + std::to_string(o.seed);
}

template <typename T>
uint32_t bits_of(T v) {
  if constexpr (sizeof(T) == 4) return std::bit_cast<uint32_t>(v);
  else if constexpr (sizeof(T) == 2) return v.bits;
  else return v;
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

// First position where two arrays differ bitwise, as a failure message.
template <typename In, typename Out>
::testing::AssertionResult same_bits(const std::vector<In>& in, const Out* got, const Out* want, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(Out)) != 0) {
      return ::testing::AssertionFailure() << "element " << i << " (input bits " << hex(bits_of(in[i]))
                                           << "): got " << hex(bits_of(got[i])) << ", want " << hex(bits_of(want[i]));
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<float16> all_halves() {
  std::vector<float16> v(65536);
  for (uint32_t i = 0; i < 65536; ++i) v[i] = float16::from_bits(static_cast<uint16_t>(i));
  return v;
}
std::vector<bfloat16> all_bfloat16s() {
  std::vector<bfloat16> v(65536);
  for (uint32_t i = 0; i < 65536; ++i) v[i] = bfloat16::from_bits(static_cast<uint16_t>(i));
  return v;
}

// Encode and fake-quant of `in` (first flat index `first`) on every target and
// thread count equal the reference.
template <typename T>
void check_quantize(const std::vector<T>& in, uint64_t first) {
  const size_t n = in.size();
  for (const Hif8Options& opt : all_options()) {
    SCOPED_TRACE(describe(opt));
    std::vector<uint8_t> want_codes(n);
    std::vector<T> want_values(n);
    kernels::hif8_encode_reference(in.data(), want_codes.data(), n, opt, first);
    kernels::hif8_fake_quant_reference(in.data(), want_values.data(), n, opt, first);
    for_each_target([&](int64_t) {
      for (int threads : kThreadCounts) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        std::vector<uint8_t> codes(n, 0xAA);
        std::vector<T> values(n);
        kernels::hif8_encode(in.data(), codes.data(), n, opt, first, threads);
        kernels::hif8_fake_quant(in.data(), values.data(), n, opt, first, threads);
        ASSERT_TRUE(same_bits(in, codes.data(), want_codes.data(), n));
        ASSERT_TRUE(same_bits(in, values.data(), want_values.data(), n));
      }
    });
  }
}

TEST(Hif8Kernels, Float32InterestingAndRandomInputs) {
  // Large enough that 7 threads each get a range.
  check_quantize(testing::interesting_floats(300000), 0);
}

TEST(Hif8Kernels, Float32StochasticAtOddAndHugeFirstIndex) {
  const std::vector<float> in = testing::interesting_floats(5000, 7);
  for (uint64_t first : {uint64_t{1}, uint64_t{3}, uint64_t{0xFFFFFFFDull}, (uint64_t{1} << 62) + 5}) {
    SCOPED_TRACE("first " + std::to_string(first));
    check_quantize(in, first);
  }
}

TEST(Hif8Kernels, EveryFloat16Input) { check_quantize(all_halves(), 0); }
TEST(Hif8Kernels, EveryBfloat16Input) { check_quantize(all_bfloat16s(), 0); }

template <typename Out>
void check_decode_all_codes() {
  // Every code, repeated with a stride so that each vector sees a mix.
  std::vector<uint8_t> in(256 * 301);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7 + i / 256);
  std::vector<Out> want(in.size());
  kernels::hif8_decode_reference(in.data(), want.data(), in.size());
  for_each_target([&](int64_t) {
    for (int threads : kThreadCounts) {
      std::vector<Out> got(in.size());
      kernels::hif8_decode(in.data(), got.data(), in.size(), threads);
      ASSERT_TRUE(same_bits(in, got.data(), want.data(), in.size())) << "threads " << threads;
    }
  });
}

TEST(Hif8Kernels, DecodeEveryCodeToFloat32) { check_decode_all_codes<float>(); }
TEST(Hif8Kernels, DecodeEveryCodeToFloat16) { check_decode_all_codes<float16>(); }
TEST(Hif8Kernels, DecodeEveryCodeToBfloat16) { check_decode_all_codes<bfloat16>(); }

// Every length 0..70 at every element misalignment 0..3, with guard elements
// on both sides that must stay untouched.
TEST(Hif8Kernels, OddLengthsAndUnalignedPointersWriteExactlyTheirRange) {
  const std::vector<float> pool = testing::interesting_floats(200, 3);
  constexpr size_t kGuard = 80;
  for_each_target([&](int64_t) {
    for (const Hif8Options& opt : all_options()) {
      for (size_t offset = 0; offset < 4; ++offset) {
        for (size_t n = 0; n <= 70; ++n) {
          const float* in = pool.data() + 11 + offset;
          std::vector<uint8_t> codes(n + 2 * kGuard, 0x5A), want_codes(n);
          std::vector<float> values(n + 2 * kGuard, -7.0f), want_values(n), decoded(n + 2 * kGuard, -7.0f);
          std::vector<float> in_vec(in, in + n);
          kernels::hif8_encode(in, codes.data() + kGuard + offset, n, opt, 5, 1);
          kernels::hif8_fake_quant(in, values.data() + kGuard + offset, n, opt, 5, 1);
          kernels::hif8_decode(codes.data() + kGuard + offset, decoded.data() + kGuard + offset, n, 1);
          kernels::hif8_encode_reference(in, want_codes.data(), n, opt, 5);
          kernels::hif8_fake_quant_reference(in, want_values.data(), n, opt, 5);
          ASSERT_TRUE(same_bits(in_vec, codes.data() + kGuard + offset, want_codes.data(), n)) << describe(opt) << " n=" << n;
          ASSERT_TRUE(same_bits(in_vec, values.data() + kGuard + offset, want_values.data(), n)) << describe(opt) << " n=" << n;
          for (size_t i = 0; i < codes.size(); ++i) {
            if (i < kGuard + offset || i >= kGuard + offset + n) {
              ASSERT_EQ(codes[i], 0x5A) << "encode wrote outside its range, n=" << n << " i=" << i;
              ASSERT_EQ(values[i], -7.0f) << "fake_quant wrote outside its range, n=" << n << " i=" << i;
              ASSERT_EQ(decoded[i], -7.0f) << "decode wrote outside its range, n=" << n << " i=" << i;
            } else {
              const float want = hif8_decode(codes[i]);
              ASSERT_EQ(std::bit_cast<uint32_t>(decoded[i]), std::bit_cast<uint32_t>(want));
            }
          }
        }
      }
    }
  });
}

// Splitting a stochastic conversion at any point gives the same codes.
TEST(Hif8Kernels, StochasticPiecesEqualTheWhole) {
  const std::vector<float> in = testing::interesting_floats(3000, 9);
  const Hif8Options opt{Rounding::kStochastic, Overflow::kInf, 42};
  std::vector<uint8_t> whole(in.size()), pieces(in.size());
  kernels::hif8_encode(in.data(), whole.data(), in.size(), opt, 100, 1);
  for (size_t cut : {size_t{1}, size_t{2}, size_t{3}, size_t{17}, size_t{1000}}) {
    kernels::hif8_encode(in.data(), pieces.data(), cut, opt, 100, 1);
    kernels::hif8_encode(in.data() + cut, pieces.data() + cut, in.size() - cut, opt, 100 + cut, 1);
    ASSERT_EQ(pieces, whole) << "cut " << cut;
  }
}

// The public array API: fast by default, the reference on request, any thread count.
TEST(Hif8Kernels, ArrayApiFastPathEqualsReferenceAndChecksArguments) {
  const std::vector<float> in = testing::interesting_floats(100000, 5);
  const Hif8Options opt{Rounding::kEven, Overflow::kSaturate, 0};
  std::vector<uint8_t> ref(in.size()), fast(in.size());
  hif8_encode(in, ref, opt, 0, ExecOptions{1, true});
  for (int threads : {0, 1, 2, 7}) {
    hif8_encode(in, fast, opt, 0, ExecOptions{threads, false});
    EXPECT_EQ(fast, ref) << threads;
  }
  hif8_encode(in, fast, opt);  // the pre-ExecOptions signature still works
  EXPECT_EQ(fast, ref);
  std::vector<float> dec_ref(in.size()), dec_fast(in.size());
  hif8_decode(ref, std::span<float>(dec_ref), ExecOptions{1, true});
  hif8_decode(ref, std::span<float>(dec_fast), ExecOptions{2, false});
  EXPECT_EQ(0, std::memcmp(dec_ref.data(), dec_fast.data(), dec_ref.size() * 4));
  EXPECT_THROW(hif8_encode(in, fast, opt, 0, ExecOptions{-1, false}), Error);
  std::vector<uint8_t> short_out(10);
  EXPECT_THROW(hif8_encode(in, short_out, opt), Error);
}

// The tensor API (src/core/api.cc) takes the fast path unless told otherwise.
TEST(Hif8Kernels, TensorApiFastPathEqualsReferenceCodec) {
  const std::vector<float> in = testing::interesting_floats(70000, 11);
  const Shape shape = {static_cast<int64_t>(in.size())};
  for (const char* fmt : {"hif8", "hif8:rounding=even,overflow=saturate", "hif8:rounding=zero",
                          "hif8:rounding=stochastic,seed=99"}) {
    SCOPED_TRACE(fmt);
    const FormatSpec spec = parse_format(fmt);
    const Packed ref = encode(spec, in.data(), shape, 0, ExecOptions{1, true});
    std::vector<float> ref_fq(in.size()), ref_dec(in.size());
    fake_quant(spec, in.data(), shape, 0, ref_fq.data(), ExecOptions{1, true});
    decode(ref, ref_dec.data(), ExecOptions{1, true});
    for (int threads : {0, 1, 2, 7}) {
      const Packed fast = encode(spec, in.data(), shape, 0, ExecOptions{threads, false});
      EXPECT_EQ(fast.data, ref.data);
      std::vector<float> fq(in.size()), dec(in.size());
      fake_quant(spec, in.data(), shape, 0, fq.data(), ExecOptions{threads, false});
      decode(fast, dec.data(), ExecOptions{threads, false});
      EXPECT_EQ(0, std::memcmp(fq.data(), ref_fq.data(), fq.size() * 4));
      EXPECT_EQ(0, std::memcmp(dec.data(), ref_dec.data(), dec.size() * 4));
    }
  }
  EXPECT_THROW(encode(parse_format("hif8"), in.data(), shape, 0, ExecOptions{-2, false}), Error);
  Packed broken = encode(parse_format("hif8"), in.data(), shape, 0);
  broken.data.pop_back();
  std::vector<float> out(in.size());
  EXPECT_THROW(decode(broken, out.data()), Error);
}

}  // namespace
}  // namespace hifloat
