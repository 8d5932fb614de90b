// decode_lines_natural (src/kernels/matmul_decode.cc), the weight decoder of
// the dense × packed kernels, against PackedLines::decode_row (each format's
// reference Codec) bit for bit: every format with random record bytes (all
// scale, flag and element codes), lines as rows of W (N, K) and as columns of
// B (K, N), runs of lines from any start, K not a multiple of the block, row
// strides equal to and larger than K, on every SIMD target.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/matmul_operands.h"
#include "hifloat/codec.h"
#include "kernel_test_util.h"
#include "kernels/matmul_kernels.h"

namespace hifloat {
namespace {

using testing::for_each_target;
using testing::random_packed;

const char* const kFormats[] = {"hif4",       "hifx2",      "hifx3",      "hifx5",       "hif8",
                                "nvfp4",      "nvfp4:tensor_scale=off",   "mxfp4",       "mxfp6_e2m3",
                                "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8",      "fp8_e4m3",
                                "fp8_e5m2",   "int8",       "int4",       "int4:group=128"};

// Lines [row, row + count) decoded both ways; ld ≥ k, the gap must stay untouched.
void expect_lines_equal(const PackedLines& v, int64_t row, int64_t count, int64_t ld, const std::string& what) {
  const float kCanary = -1234.5f;
  std::vector<float> got(static_cast<size_t>(count * ld), kCanary);
  kernels::decode_lines_natural(v, row, count, got.data(), ld);
  std::vector<float> want(static_cast<size_t>(v.k));
  for (int64_t r = 0; r < count; ++r) {
    v.decode_row(row + r, want.data());
    ASSERT_EQ(std::memcmp(got.data() + r * ld, want.data(), want.size() * sizeof(float)), 0)
        << what << " row " << row + r << " (run from " << row << ", " << count << " lines, ld " << ld << ")";
    for (int64_t i = v.k; i < ld; ++i) ASSERT_EQ(got[static_cast<size_t>(r * ld + i)], kCanary) << what;
  }
}

TEST(MatmulDecode, LinesEqualReferenceDecoder) {
  for_each_target([](int64_t) {
    std::mt19937 rng(4242);
    for (const char* name : kFormats) {
      const FormatSpec fmt = parse_format(name);
      for (const int64_t k : {1, 16, 31, 64, 100, 333}) {
        const int64_t lines = 7;
        for (const bool as_rows : {true, false}) {
          // W (N, K) blocked along K = axis 1, or B (K, N) blocked along axis 0.
          Packed p = as_rows ? random_packed(fmt, {lines, k}, 1, rng) : random_packed(fmt, {k, lines}, 0, rng);
          if (fmt.name == "nvfp4") {  // block scales are unsigned E4M3, the tensor scale positive and finite
            const size_t header = make_codec(fmt)->header_bytes();
            for (size_t i = header; i < p.data.size(); i += 9) p.data[i] &= 0x7F;
            const float tensor_scale = 0.375f;
            if (header) std::memcpy(p.data.data(), &tensor_scale, 4);
          }
          const PackedLines v = view_lines(p, as_rows ? 1 : 0, "W");
          const std::string what = std::string(name) + " k=" + std::to_string(k) + (as_rows ? " (N,K)" : " (K,N)");
          expect_lines_equal(v, 0, lines, k, what);
          expect_lines_equal(v, 2, 4, k + 3, what);
          expect_lines_equal(v, lines - 1, 1, k, what);
        }
      }
    }
  });
}

}  // namespace
}  // namespace hifloat
