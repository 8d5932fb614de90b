// The FP8 E4M3/E5M2 fast paths (src/kernels/fp8_kernels.cc) against the scalar
// reference (include/hifloat/fp8.h) bit for bit: every SIMD target this CPU
// supports, 1/2/7 threads, both overflow options, all 2^16 float16 and
// bfloat16 inputs, every code for decoding, odd lengths and unaligned
// pointers. The 2^32 float32 sweep is in exhaustive_kernels.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/fp8_array.h"
#include "kernel_test_util.h"
#include "kernels/fp8_kernels.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::kThreadCounts;

template <typename T>
std::vector<T> inputs_of_type() {
  std::vector<T> v;
  if constexpr (std::is_same_v<T, float>) {
    v = testing::interesting_floats(300000, 4);
    // OFP8 boundaries: around the maxima, the overflow ties and the subnormal edges.
    for (float f : {448.0f, 464.0f, 464.0001f, 479.99f, 480.0f, 57344.0f, 61439.0f, 61440.0f, 61441.0f, 0x1p-9f,
                    0x1p-10f, 0x1.8p-10f, 0x1p-16f, 0x1p-17f, 0x1.000002p-17f, 0x1.8p-17f, 0x1p-6f, 0x1p-14f}) {
      v.push_back(f);
      v.push_back(-f);
    }
  } else {
    for (uint32_t i = 0; i < 65536; ++i) v.push_back(T::from_bits(static_cast<uint16_t>(i)));
  }
  return v;
}

template <typename T>
bool same_bits(const T* a, const T* b, size_t n, size_t* where) {
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) {
      *where = i;
      return false;
    }
  }
  return true;
}

// Encode and fake-quant of every input, each target and thread count, both formats and options.
template <typename T>
void check_all() {
  const std::vector<T> in = inputs_of_type<T>();
  const size_t n = in.size();
  std::vector<uint8_t> want(n), got(n);
  std::vector<T> want_fq(n), got_fq(n);
  const auto run = [&](const std::string& what, auto reference, auto encode, auto fake_quant, auto decode_ref) {
    SCOPED_TRACE(what);
    reference(in.data(), want.data(), n);
    for (size_t i = 0; i < n; ++i) want_fq[i] = T(decode_ref(want[i]));
    for_each_target([&](int64_t) {
      for (int threads : kThreadCounts) {
        encode(in.data(), got.data(), n, threads);
        fake_quant(in.data(), got_fq.data(), n, threads);
        size_t at = 0;
        ASSERT_TRUE(same_bits(got.data(), want.data(), n, &at))
            << "threads " << threads << " element " << at << " input " << static_cast<float>(in[at]) << ": got "
            << int(got[at]) << " want " << int(want[at]);
        ASSERT_TRUE(same_bits(got_fq.data(), want_fq.data(), n, &at))
            << "fake-quant, threads " << threads << " element " << at << " input " << static_cast<float>(in[at]);
      }
    });
  };
  for (E4M3Overflow o : {E4M3Overflow::kSaturate, E4M3Overflow::kNaN}) {
    run(std::string("e4m3 overflow ") + (o == E4M3Overflow::kNaN ? "nan" : "saturate"),
        [&](const T* x, uint8_t* c, size_t m) { kernels::fp8_e4m3_encode_reference(x, c, m, o); },
        [&](const T* x, uint8_t* c, size_t m, int t) { kernels::fp8_e4m3_encode(x, c, m, o, t); },
        [&](const T* x, T* y, size_t m, int t) { kernels::fp8_e4m3_fake_quant(x, y, m, o, t); },
        [](uint8_t c) { return fp8_e4m3_decode(c); });
  }
  for (E5M2Overflow o : {E5M2Overflow::kInf, E5M2Overflow::kSaturate}) {
    run(std::string("e5m2 overflow ") + (o == E5M2Overflow::kInf ? "inf" : "saturate"),
        [&](const T* x, uint8_t* c, size_t m) { kernels::fp8_e5m2_encode_reference(x, c, m, o); },
        [&](const T* x, uint8_t* c, size_t m, int t) { kernels::fp8_e5m2_encode(x, c, m, o, t); },
        [&](const T* x, T* y, size_t m, int t) { kernels::fp8_e5m2_fake_quant(x, y, m, o, t); },
        [](uint8_t c) { return fp8_e5m2_decode(c); });
  }
}

TEST(Fp8Kernels, Float32InterestingAndRandomInputs) { check_all<float>(); }
TEST(Fp8Kernels, EveryFloat16Input) { check_all<float16>(); }
TEST(Fp8Kernels, EveryBfloat16Input) { check_all<bfloat16>(); }

template <typename T>
void check_decode() {
  std::vector<uint8_t> codes(256 * 37 + 5);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>(i * 11 + i / 256);
  const size_t n = codes.size();
  std::vector<T> want(n), got(n);
  for_each_target([&](int64_t) {
    for (int threads : kThreadCounts) {
      for (size_t offset : {size_t{0}, size_t{1}, size_t{3}}) {
        const size_t m = n - offset;
        size_t at = 0;
        kernels::fp8_e4m3_decode_reference(codes.data() + offset, want.data(), m);
        kernels::fp8_e4m3_decode(codes.data() + offset, got.data(), m, threads);
        ASSERT_TRUE(same_bits(got.data(), want.data(), m, &at)) << "e4m3 code " << int(codes[offset + at]);
        kernels::fp8_e5m2_decode_reference(codes.data() + offset, want.data(), m);
        kernels::fp8_e5m2_decode(codes.data() + offset, got.data(), m, threads);
        ASSERT_TRUE(same_bits(got.data(), want.data(), m, &at)) << "e5m2 code " << int(codes[offset + at]);
      }
    }
  });
}

TEST(Fp8Kernels, DecodeEveryCodeToEachType) {
  check_decode<float>();
  check_decode<float16>();
  check_decode<bfloat16>();
}

TEST(Fp8Kernels, OddLengthsWriteExactlyTheirRange) {
  const std::vector<float> pool = testing::interesting_floats(100, 2);
  for_each_target([&](int64_t) {
    for (size_t n = 0; n <= 40; ++n) {
      std::vector<uint8_t> out(n + 64, 0x5A), want(n);
      kernels::fp8_e4m3_encode(pool.data() + 3, out.data() + 1, n, E4M3Overflow::kSaturate, 1);
      kernels::fp8_e4m3_encode_reference(pool.data() + 3, want.data(), n, E4M3Overflow::kSaturate);
      ASSERT_TRUE(std::equal(want.begin(), want.end(), out.begin() + 1)) << n;
      ASSERT_EQ(out[0], 0x5A);
      for (size_t i = n + 1; i < out.size(); ++i) ASSERT_EQ(out[i], 0x5A) << "wrote past the end, n=" << n;
    }
  });
}

// Public array and tensor APIs: fast by default, reference on request, same bytes.
TEST(Fp8Kernels, ApisFastPathEqualsReference) {
  const std::vector<float> in = testing::interesting_floats(50000, 8);
  std::vector<uint8_t> ref(in.size()), fast(in.size());
  fp8_e5m2_encode(in, ref, E5M2Overflow::kSaturate, ExecOptions{1, true});
  fp8_e5m2_encode(in, fast, E5M2Overflow::kSaturate, ExecOptions{2, false});
  EXPECT_EQ(fast, ref);
  EXPECT_THROW(fp8_e5m2_encode(in, fast, E5M2Overflow::kSaturate, ExecOptions{-1, false}), Error);
  const Shape shape = {static_cast<int64_t>(in.size())};
  for (const char* fmt : {"fp8_e4m3", "fp8_e4m3:overflow=nan", "fp8_e5m2", "fp8_e5m2:overflow=saturate"}) {
    SCOPED_TRACE(fmt);
    const FormatSpec spec = parse_format(fmt);
    const Packed r = encode(spec, in.data(), shape, 0, ExecOptions{1, true});
    const Packed f = encode(spec, in.data(), shape, 0, ExecOptions{0, false});
    EXPECT_EQ(f.data, r.data);
    std::vector<float> dr(in.size()), df(in.size()), fr(in.size()), ff(in.size());
    decode(r, dr.data(), ExecOptions{1, true});
    decode(f, df.data(), ExecOptions{7, false});
    fake_quant(spec, in.data(), shape, 0, fr.data(), ExecOptions{1, true});
    fake_quant(spec, in.data(), shape, 0, ff.data(), ExecOptions{2, false});
    EXPECT_EQ(0, std::memcmp(dr.data(), df.data(), dr.size() * 4));
    EXPECT_EQ(0, std::memcmp(fr.data(), ff.data(), fr.size() * 4));
  }
}

}  // namespace
}  // namespace hifloat
