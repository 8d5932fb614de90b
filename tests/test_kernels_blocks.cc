// The block-format fast paths (src/kernels/mx_kernels.cc, nvfp4_kernels.cc,
// block_driver.cc) against the scalar reference Codecs (src/formats/mx.cc,
// nvfp4.cc) bit for bit — packed bytes, decoded values and fake-quant values —
// on every SIMD target this CPU supports and 1/2/7 threads: large random and
// adversarial arrays (ties, mantissas of all ones (the 0x3EFFFFFF RNE*
// artefact), NaN/Inf, ±0, fp32 subnormals, huge and tiny blocks, amax just
// below powers of two (§4.2's N(k) table), odd tails), unaligned pointers,
// every axis of 3-D tensors, and arbitrary packed bytes for decoding.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "kernel_test_util.h"
#include "kernels/fast_paths.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::kThreadCounts;

const std::vector<std::string> kFormats = {"mxfp4",      "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2",
                                           "mxint8",     "nvfp4",      "nvfp4:tensor_scale=off"};

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

::testing::AssertionResult same_bytes(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      return ::testing::AssertionFailure() << "byte " << i << ": got " << int{got[i]} << ", want " << int{want[i]};
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_floats(const std::vector<float>& in, const std::vector<float>& got,
                                       const std::vector<float>& want) {
  for (size_t i = 0; i < got.size(); ++i) {
    const uint32_t g = std::bit_cast<uint32_t>(got[i]), w = std::bit_cast<uint32_t>(want[i]);
    if (g != w) {
      return ::testing::AssertionFailure() << "element " << i << " (input " << (i < in.size() ? hex(std::bit_cast<uint32_t>(in[i])) : "-")
                                           << "): got " << hex(g) << ", want " << hex(w);
    }
  }
  return ::testing::AssertionSuccess();
}

float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

// Blocks of 32 (covering NVFP4's 16 as well), each of one adversarial kind.
std::vector<float> adversarial(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> x(n);
  const auto sign = [&]() { return (rng() & 1) ? 0x80000000u : 0u; };
  for (size_t b = 0; b < n; b += 32) {
    const size_t e = std::min(n, b + 32);
    const uint32_t kind = rng() % 12;
    const int center = static_cast<int>(rng() % 254) + 1;  // exponent field of the block
    for (size_t i = b; i < e; ++i) {
      const int top = kind == 7 ? center - 1 : center;  // kind 7: the element set below is the amax
      const int field = std::clamp(top - static_cast<int>(rng() % 12), 1, 254);
      uint32_t bits = sign() | (static_cast<uint32_t>(field) << 23);
      switch (kind) {
        case 0: bits |= rng() & 0x7FFFFF; break;                       // random mantissas
        case 1: bits |= (rng() & 0x7u) << 20; break;                   // few mantissa bits: ties
        case 2: bits |= 0x7FFFFF; break;                               // all ones: RNE* artefact, N(k)
        case 3:
        case 10: bits = sign() | (rng() & 0x7FFFFF); break;            // fp32 subnormals (and ±0)
        case 4: bits = sign(); break;                                  // ±0
        case 5: bits = rng(); break;                                   // anything, NaN/Inf included
        case 6: bits |= (rng() & 0x1Fu) << 18 | (rng() % 3 == 0 ? 0x3FFFF : 0); break;
        default: bits |= rng() & 0x7FFFFF; break;
      }
      x[i] = from_bits(bits);
    }
    if (kind == 7) x[b + rng() % (e - b)] = from_bits(sign() | ((static_cast<uint32_t>(center) << 23) - 1 - rng() % 60));
    if (kind == 8) x[b + rng() % (e - b)] = from_bits(sign() | (rng() % 2 ? 0x7F800000u : 0x7FC00001u));
    if (kind == 9) x[b + rng() % (e - b)] = from_bits(sign() | (0x7F7FFFFFu - rng() % 50));
    if (kind == 10) x[b + rng() % (e - b)] = from_bits(sign() | ((((rng() % 60 + 1) << 23) - 1 - rng() % 30)));
  }
  return x;
}

std::vector<float> test_input(size_t n, uint32_t seed) {
  std::vector<float> x = adversarial(n, seed);
  const std::vector<float> extra = testing::interesting_floats(0);
  for (size_t i = 0; i < extra.size() && i < n / 4; ++i) x[n / 2 + i < n ? n / 2 + i : i] = extra[i];
  return x;
}

// Fast encode / decode / fake-quant of x (shape, axis) equal the reference on
// every target and thread count. `offset` shifts the data off its alignment.
void check_tensor(const std::string& format_str, const std::vector<float>& data, const Shape& shape, int axis,
                  size_t offset = 0) {
  SCOPED_TRACE(format_str + " axis " + std::to_string(axis) + " offset " + std::to_string(offset));
  const FormatSpec format = parse_format(format_str);
  const auto codec = make_codec(format);
  const size_t n = static_cast<size_t>(num_elements(shape));
  ASSERT_EQ(n, data.size());
  std::vector<float> buf(n + offset);
  std::copy(data.begin(), data.end(), buf.begin() + static_cast<std::ptrdiff_t>(offset));
  const float* x = buf.data() + offset;

  std::vector<uint8_t> want_packed(codec->packed_bytes(shape, axis));
  codec->quantize(x, shape, axis, want_packed);
  std::vector<float> want_decoded(n), want_fake(n);
  codec->dequantize(want_packed, shape, axis, want_decoded.data());
  codec->fake_quant(x, shape, axis, want_fake.data());

  for_each_target([&](int64_t) {
    for (int threads : kThreadCounts) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      ExecOptions exec;
      exec.threads = threads;
      std::vector<uint8_t> packed(want_packed.size(), 0xAA);
      ASSERT_TRUE(kernels::encode_fast(format, x, shape, axis, packed, exec));
      ASSERT_TRUE(same_bytes(packed, want_packed));
      std::vector<float> out(n + offset, -1.0f);
      ASSERT_TRUE(kernels::decode_fast(format, want_packed, shape, axis, out.data() + offset, exec));
      ASSERT_TRUE(same_floats(data, std::vector<float>(out.begin() + static_cast<std::ptrdiff_t>(offset), out.end()), want_decoded));
      std::fill(out.begin(), out.end(), -1.0f);
      ASSERT_TRUE(kernels::fake_quant_fast(format, x, shape, axis, out.data() + offset, exec));
      ASSERT_TRUE(same_floats(data, std::vector<float>(out.begin() + static_cast<std::ptrdiff_t>(offset), out.end()), want_fake));
    }
  });
}

TEST(BlockKernels, LargeAdversarialLastAxis) {
  // Large enough that 7 threads each get a range; odd length: a padded tail.
  const std::vector<float> x = test_input(300007, 1);
  for (const std::string& f : kFormats) check_tensor(f, x, {300007}, 0);
}

TEST(BlockKernels, UnalignedPointersAndRowTails) {
  const std::vector<float> x = test_input(37 * 1001, 2);
  for (const std::string& f : kFormats) {
    check_tensor(f, x, {37, 1001}, 1, 1);
    check_tensor(f, x, {37, 1001}, -1, 3);
  }
}

TEST(BlockKernels, EveryAxisOf3dTensors) {
  for (const Shape& shape : {Shape{7, 45, 33}, Shape{3, 64, 5}, Shape{70, 2, 48}}) {
    const std::vector<float> x = test_input(static_cast<size_t>(num_elements(shape)), 3);
    for (const std::string& f : kFormats) {
      for (int axis = 0; axis < 3; ++axis) check_tensor(f, x, shape, axis);
    }
  }
}

TEST(BlockKernels, ZeroRandomAndConstantBlocks) {
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(64 * 1024 + 5);
  for (float& v : x) v = normal(rng);
  for (size_t i = 0; i < 256; ++i) x[i] = 0.0f;
  for (size_t i = 256; i < 512; ++i) x[i] = -0.0f;
  for (size_t i = 512; i < 1024; ++i) x[i] = 1.0f;
  for (const std::string& f : kFormats) check_tensor(f, x, {static_cast<int64_t>(x.size())}, 0);
  // A tensor of only zeros (tensor scale g = 1) and one of a single NaN.
  for (const std::string& f : kFormats) {
    check_tensor(f, std::vector<float>(100, 0.0f), {100}, 0);
    check_tensor(f, {std::numeric_limits<float>::quiet_NaN()}, {1}, 0);
  }
}

// Every element code under many scales: random records decode as the reference.
TEST(BlockKernels, DecodeArbitraryRecords) {
  std::mt19937 rng(5);
  for (const std::string& f : kFormats) {
    SCOPED_TRACE(f);
    const FormatSpec format = parse_format(f);
    const auto codec = make_codec(format);
    const Shape shape{5000, 64};
    std::vector<uint8_t> packed(codec->packed_bytes(shape, 1));
    for (uint8_t& b : packed) b = static_cast<uint8_t>(rng());
    const size_t header = codec->header_bytes();
    if (f.rfind("nvfp4", 0) == 0) {
      for (size_t i = header; i < packed.size(); i += 9) packed[i] &= 0x7F;
      if (header) {
        const float g = 0x1p-20f * static_cast<float>(rng() % 100000 + 1);
        std::memcpy(packed.data(), &g, 4);
      }
    }
    std::vector<float> want(5000 * 64);
    codec->dequantize(packed, shape, 1, want.data());
    for_each_target([&](int64_t) {
      for (int threads : kThreadCounts) {
        std::vector<float> got(want.size());
        ExecOptions exec;
        exec.threads = threads;
        ASSERT_TRUE(kernels::decode_fast(format, packed, shape, 1, got.data(), exec));
        ASSERT_TRUE(same_floats({}, got, want)) << "threads " << threads;
      }
    });
  }
}

TEST(BlockKernels, Nvfp4BadRecordsThrowLikeTheReference) {
  for (const std::string& f : {std::string("nvfp4"), std::string("nvfp4:tensor_scale=off")}) {
    const FormatSpec format = parse_format(f);
    const auto codec = make_codec(format);
    std::vector<float> x(64, 1.5f);
    Packed p = encode(format, x.data(), {64}, 0);
    p.data[p.data.size() - 9] = 0x85;  // sign bit in the last block's scale
    std::vector<float> out(64);
    EXPECT_THROW(decode(p, out.data()), Error);
    EXPECT_THROW(codec->dequantize(p.data, {64}, 0, out.data()), Error);
    if (codec->header_bytes()) {
      Packed q = encode(format, x.data(), {64}, 0);
      const float bad = -1.0f;
      std::memcpy(q.data.data(), &bad, 4);
      EXPECT_THROW(decode(q, out.data()), Error);
      // NaN blocks never read g, in the reference and the fast path alike.
      std::vector<float> nan(64, std::numeric_limits<float>::quiet_NaN());
      Packed r = encode(format, nan.data(), {64}, 0);
      std::memcpy(r.data.data(), &bad, 4);
      EXPECT_NO_THROW(decode(r, out.data()));
      EXPECT_TRUE(std::isnan(out[0]));
      ExecOptions ref;
      ref.reference = true;
      EXPECT_NO_THROW(decode(r, out.data(), ref));
    }
  }
}

// NVFP4 block scales at every E4M3 grid boundary: one block per target
// quotient bmax / 6 = each E4M3 magnitude, each midpoint between neighbours
// (the ties of the RNE, exact: a midpoint has at most 5 significant bits, so
// 6 × it is exact in fp32 and the division gives it back), and their fp32
// neighbours, from below 2^−10 (S = 0 without a tensor scale) to beyond 448;
// the other 15 elements of a block are fractions of bmax of both signs (E2M1
// ties included). One extra block holds 2688, so with tensor_scale=on the
// tensor scale g is exactly 1 and s_raw = bmax / 6 takes the same values
// (then clamped to [2^−6, 448]). Many groups of 16 blocks, then a tail.
TEST(BlockKernels, Nvfp4BlockScalesAtEveryE4m3Boundary) {
  std::vector<float> e4m3;  // magnitudes 0, 2^−9 .. 448, as the spec's table
  for (int c = 0; c <= 0x7E; ++c) {
    const int e = c >> 3, m = c & 7;
    e4m3.push_back(e == 0 ? std::ldexp(static_cast<float>(m), -9) : std::ldexp(1.0f + m / 8.0f, e - 7));
  }
  std::vector<float> quotients = {0x1p-11f, 0x1p-10f, 480.0f, 512.0f, 1e30f};
  for (size_t i = 0; i < e4m3.size(); ++i) {
    quotients.push_back(e4m3[i]);
    if (i + 1 < e4m3.size()) quotients.push_back((e4m3[i] + e4m3[i + 1]) / 2);
  }
  const float fractions[] = {0.0f, 1.0f / 12, 0.125f, 0.25f, 1.0f / 3, 5.0f / 12, 0.5f, 7.0f / 12, 2.0f / 3, 0.75f, 1.0f};
  // Blocks with bmax <= limit (tensor_scale=on: 2688, so that g = 1).
  const auto blocks = [&](float limit) {
    std::mt19937 rng(7);
    std::vector<float> x;
    for (float q : quotients) {
      const float bmax0 = 6.0f * q;
      for (const float bmax : {std::nextafter(bmax0, 0.0f), bmax0, std::nextafter(bmax0, std::numeric_limits<float>::infinity())}) {
        if (!(bmax > 0.0f) || !(bmax <= limit)) continue;
        const size_t at = rng() % 16;
        for (size_t i = 0; i < 16; ++i) {
          const float v = i == at ? bmax : bmax * fractions[rng() % std::size(fractions)];
          x.push_back((rng() & 1) ? -v : v);
        }
      }
    }
    for (size_t i = 0; i < 16; ++i) x.push_back(i == 5 ? 2688.0f : 1.0f);
    x.resize(x.size() + 9, 0.5f);  // a partial block and a partial group at the end
    return x;
  };
  for (const std::string& f : {std::string("nvfp4"), std::string("nvfp4:tensor_scale=off")}) {
    const std::vector<float> x = blocks(f == "nvfp4" ? 2688.0f : std::numeric_limits<float>::infinity());
    if (f == "nvfp4") {  // g = RN32(2688 / 2688) = 1
      const Packed p = encode(parse_format(f), x.data(), {static_cast<int64_t>(x.size())}, 0);
      float g;
      std::memcpy(&g, p.data.data(), 4);
      ASSERT_EQ(g, 1.0f);
    }
    check_tensor(f, x, {static_cast<int64_t>(x.size())}, 0);
    check_tensor(f, x, {static_cast<int64_t>(x.size())}, 0, 1);
  }
}

// Blocks whose total scale is 0 keep only the element signs: with
// tensor_scale=on when g < 2^−143 (tensor amax 2^−134 gives a subnormal g, and
// T = RN32(g · s) underflows for small s), without it when S rounds to 0
// (bmax / 6 <= 2^−10). Mixed with NaN blocks, Inf blocks and normal blocks
// in the same groups of 16 blocks.
TEST(BlockKernels, Nvfp4ZeroTotalScaleKeepsSigns) {
  std::mt19937 rng(8);
  std::vector<float> x(16 * 16 * 40 + 7);
  for (size_t b = 0; b * 16 < x.size(); ++b) {
    const uint32_t kind = rng() % 8;
    for (size_t i = b * 16; i < std::min(x.size(), b * 16 + 16); ++i) {
      const uint32_t sign = (rng() & 1) << 31;
      uint32_t bits = sign | (rng() & 0x7FFFFF) >> (rng() % 24);  // fp32 subnormals and ±0
      if (kind == 5) bits = sign | ((static_cast<uint32_t>(rng() % 8) + 1) << 23) | (rng() & 0x7FFFFF);  // tiny normals
      x[i] = from_bits(bits);
    }
    if (kind == 6) x[b * 16 + rng() % 16] = std::numeric_limits<float>::quiet_NaN();
    if (kind == 7 && b * 16 + 16 <= x.size()) x[b * 16 + rng() % 16] = -std::numeric_limits<float>::infinity();
  }
  x[100] = 0x1p-134f;  // the tensor amax
  for (const std::string& f : {std::string("nvfp4"), std::string("nvfp4:tensor_scale=off")}) {
    check_tensor(f, x, {static_cast<int64_t>(x.size())}, 0);
  }
}

// The public API takes the fast path by default and equals exec.reference.
TEST(BlockKernels, ApiFastPathEqualsReference) {
  const std::vector<float> x = test_input(4096, 6);
  for (const std::string& f : kFormats) {
    const FormatSpec format = parse_format(f);
    ExecOptions ref;
    ref.reference = true;
    ExecOptions fast;
    fast.threads = 0;
    EXPECT_TRUE(same_bytes(encode(format, x.data(), {64, 64}, 0, fast).data, encode(format, x.data(), {64, 64}, 0, ref).data)) << f;
  }
}

// §4.3: mxfp4 with amax = the largest fp32 decodes that element to +Inf.
TEST(BlockKernels, MxScale128OverflowsToInfinity) {
  std::vector<float> x(32, 1.0f);
  x[3] = std::numeric_limits<float>::max();
  std::vector<float> out(32);
  ExecOptions exec;
  fake_quant(parse_format("mxfp4"), x.data(), {32}, 0, out.data(), exec);
  EXPECT_EQ(out[3], std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace hifloat
