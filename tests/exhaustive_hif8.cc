// Every float32 bit pattern through the HiF8 encoder, against the independent
// value-level reference of hif8_reference.h, for each deterministic rounding
// mode and both overflow policies. Threads split the 2^32 inputs; a chunk's
// inputs ascend in magnitude, so the reference's search resumes from the last
// input (its cursor).
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <vector>

#include "hif8_reference.h"
#include "hifloat/hif8.h"
#include "hifloat/hif8_array.h"
#include "sweep.h"

namespace hifloat {
namespace {

struct Config {
  Rounding rounding;
  Overflow overflow;
};

class Hif8Exhaustive : public ::testing::TestWithParam<Config> {};

using testing::sweep_float32;

TEST_P(Hif8Exhaustive, AllFloat32Inputs) {
  const Config cfg = GetParam();
  const testing::Hif8Reference ref;
  std::atomic<int> reported{0};
  const uint64_t bad = sweep_float32([&](uint32_t first, uint32_t count) {
    uint64_t local = 0;
    size_t cursor = 0;
    std::vector<float> in(count);
    std::vector<uint8_t> out(count);
    for (uint32_t i = 0; i < count; ++i) in[i] = std::bit_cast<float>(first + i);
    hif8_encode(in, out, Hif8Options{cfg.rounding, cfg.overflow, 0});
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t want = ref.encode(static_cast<double>(in[i]), cfg.rounding, cfg.overflow, 0, &cursor);
      if (out[i] != want) {
        ++local;
        if (reported.fetch_add(1) < 10) {
          ADD_FAILURE() << "input 0x" << std::hex << (first + i) << ": got 0x" << int(out[i]) << ", want 0x"
                        << int(want);
        }
      }
    }
    return local;
  });
  EXPECT_EQ(bad, 0u);
}

std::string config_name(const ::testing::TestParamInfo<Config>& info) {
  static const char* const kRounding[] = {"Away", "Even", "Zero", "Stochastic"};
  return std::string(kRounding[static_cast<int>(info.param.rounding)]) +
         (info.param.overflow == Overflow::kInf ? "Inf" : "Saturate");
}

INSTANTIATE_TEST_SUITE_P(AllModes, Hif8Exhaustive,
                         ::testing::Values(Config{Rounding::kAway, Overflow::kInf},
                                           Config{Rounding::kAway, Overflow::kSaturate},
                                           Config{Rounding::kEven, Overflow::kInf},
                                           Config{Rounding::kEven, Overflow::kSaturate},
                                           Config{Rounding::kZero, Overflow::kInf},
                                           Config{Rounding::kZero, Overflow::kSaturate}),
                         config_name);

// decode(encode(v)) == v for every value v that is a HiF8 value, and
// fake-quant equals decode(encode(x)) for every float32 x.
TEST(Hif8ExhaustiveFakeQuant, EqualsDecodeOfEncode) {
  const uint64_t bad = sweep_float32([&](uint32_t first, uint32_t count) {
    uint64_t local = 0;
    std::vector<float> in(count), fq(count), dec(count);
    std::vector<uint8_t> codes(count);
    for (uint32_t i = 0; i < count; ++i) in[i] = std::bit_cast<float>(first + i);
    hif8_fake_quant(std::span<const float>(in), fq);
    hif8_encode(std::span<const float>(in), codes);
    hif8_decode(codes, std::span<float>(dec));
    for (uint32_t i = 0; i < count; ++i) {
      if (std::bit_cast<uint32_t>(fq[i]) != std::bit_cast<uint32_t>(dec[i])) ++local;
    }
    return local;
  });
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace hifloat
