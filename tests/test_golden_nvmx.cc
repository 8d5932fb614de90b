// Golden vectors of nvfp4:tensor_scale=off (official HiFloat4 library) and the
// six MX formats (microxcaling, round='even'): every case of
// ../shared/golden/manifest.json in those formats, fake_quant bit for bit
// (+0 == −0, NaN == NaN; spec/BASELINES.md §0).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/format.h"
#include "hifloat/npy.h"

namespace hifloat {
namespace {

const std::string kGoldenDir = std::string(HIFLOAT_SHARED_DIR) + "/golden/";

const std::set<std::string> kFormats = {"nvfp4:tensor_scale=off", "mxfp4",      "mxfp6_e2m3", "mxfp6_e3m2",
                                        "mxfp8_e4m3",             "mxfp8_e5m2", "mxint8"};

bool same_value(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b;  // +0 == −0
}

TEST(GoldenNvMx, EveryManifestCaseMatchesBitForBit) {
  std::ifstream in(kGoldenDir + "manifest.json");
  ASSERT_TRUE(in) << "cannot open " << kGoldenDir << "manifest.json";
  const nlohmann::json manifest = nlohmann::json::parse(in);
  int checked = 0;
  std::set<std::string> seen;
  for (const auto& [name, c] : manifest.at("cases").items()) {
    const NpyArray xa = read_npy(kGoldenDir + name + ".x.npy");
    const std::vector<float> x = to_float32(xa);
    for (const auto& o : c.at("outputs")) {
      const std::string format = o.at("format");
      if (!kFormats.count(format)) continue;
      const int axis = o.at("axis");
      const std::string file = o.at("file");
      const std::vector<float> expect = to_float32(read_npy(kGoldenDir + file));
      ASSERT_EQ(expect.size(), x.size()) << file;
      std::vector<float> got(x.size());
      fake_quant(parse_format(format), x.data(), xa.shape, axis, got.data());
      int bad = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!same_value(got[i], expect[i]) && bad++ < 5) {
          ADD_FAILURE() << file << " element " << i << ": x = " << x[i] << " (0x" << std::hex
                        << std::bit_cast<uint32_t>(x[i]) << std::dec << "), got " << got[i] << ", expected "
                        << expect[i];
        }
      }
      EXPECT_EQ(bad, 0) << file << ": " << bad << " mismatches";
      seen.insert(format);
      ++checked;
    }
  }
  EXPECT_EQ(seen, kFormats) << "some formats have no golden case";
  EXPECT_GE(checked, 7 * 2 * 7);  // 7 cases × 7 formats × 2 axes at the time of writing
}

}  // namespace
}  // namespace hifloat
