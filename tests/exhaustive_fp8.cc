// Every float32 bit pattern through fp8_e4m3 and fp8_e5m2 (both overflow
// options each), via the array API, against the independent value-level
// reference of fp8_reference.h; and fake-quant == decode(encode) throughout.
// Threads split the 2^32 inputs (sweep.h); a chunk's inputs ascend in magnitude,
// so the reference's search resumes from the last input (its cursor).
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <vector>

#include "fp8_reference.h"
#include "hifloat/fp8.h"
#include "hifloat/fp8_array.h"
#include "sweep.h"

namespace hifloat {
namespace {

using testing::Fp8Reference;

// One sweep per format checks both overflow options.
TEST(Fp8Exhaustive, E4M3AllFloat32Inputs) {
  const Fp8Reference ref(testing::kE4M3Params);
  std::atomic<int> reported{0};
  const uint64_t bad = testing::sweep_float32([&](uint32_t first, uint32_t count) {
    uint64_t local = 0;
    size_t cursor = 0;
    std::vector<float> in(count), fq(count);
    std::vector<uint8_t> sat(count), nan(count);
    for (uint32_t i = 0; i < count; ++i) in[i] = std::bit_cast<float>(first + i);
    fp8_e4m3_encode(std::span<const float>(in), sat, E4M3Overflow::kSaturate);
    fp8_e4m3_encode(std::span<const float>(in), nan, E4M3Overflow::kNaN);
    fp8_e4m3_fake_quant(std::span<const float>(in), std::span<float>(fq), E4M3Overflow::kNaN);
    for (uint32_t i = 0; i < count; ++i) {
      const double x = in[i];
      const uint8_t want_sat = testing::ref_e4m3(ref, x, false, &cursor);
      const uint8_t want_nan = testing::ref_e4m3(ref, x, true, &cursor);
      const float dec = fp8_e4m3_decode(nan[i]);
      const bool fq_ok = std::bit_cast<uint32_t>(fq[i]) == std::bit_cast<uint32_t>(dec);
      if (sat[i] != want_sat || nan[i] != want_nan || !fq_ok) {
        ++local;
        if (reported.fetch_add(1) < 10) {
          ADD_FAILURE() << "input 0x" << std::hex << (first + i) << ": saturate got 0x" << int(sat[i])
                        << " want 0x" << int(want_sat) << ", nan got 0x" << int(nan[i]) << " want 0x"
                        << int(want_nan) << ", fake_quant ok " << fq_ok;
        }
      }
    }
    return local;
  });
  EXPECT_EQ(bad, 0u);
}

TEST(Fp8Exhaustive, E5M2AllFloat32Inputs) {
  const Fp8Reference ref(testing::kE5M2Params);
  std::atomic<int> reported{0};
  const uint64_t bad = testing::sweep_float32([&](uint32_t first, uint32_t count) {
    uint64_t local = 0;
    size_t cursor = 0;
    std::vector<float> in(count), fq(count);
    std::vector<uint8_t> inf(count), sat(count);
    for (uint32_t i = 0; i < count; ++i) in[i] = std::bit_cast<float>(first + i);
    fp8_e5m2_encode(std::span<const float>(in), inf, E5M2Overflow::kInf);
    fp8_e5m2_encode(std::span<const float>(in), sat, E5M2Overflow::kSaturate);
    fp8_e5m2_fake_quant(std::span<const float>(in), std::span<float>(fq), E5M2Overflow::kInf);
    for (uint32_t i = 0; i < count; ++i) {
      const double x = in[i];
      const uint8_t want_inf = testing::ref_e5m2(ref, x, false, &cursor);
      const uint8_t want_sat = testing::ref_e5m2(ref, x, true, &cursor);
      const float dec = fp8_e5m2_decode(inf[i]);
      const bool fq_ok = std::bit_cast<uint32_t>(fq[i]) == std::bit_cast<uint32_t>(dec);
      if (inf[i] != want_inf || sat[i] != want_sat || !fq_ok) {
        ++local;
        if (reported.fetch_add(1) < 10) {
          ADD_FAILURE() << "input 0x" << std::hex << (first + i) << ": inf got 0x" << int(inf[i]) << " want 0x"
                        << int(want_inf) << ", saturate got 0x" << int(sat[i]) << " want 0x" << int(want_sat)
                        << ", fake_quant ok " << fq_ok;
        }
      }
    }
    return local;
  });
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace hifloat
