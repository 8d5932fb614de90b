// Golden vectors (../shared/golden/manifest.json): every case and output whose
// format the library implements is reproduced bit for bit (except +0 == -0 and
// NaN == NaN), through the library and through the CLI. Each case/format/axis
// is its own test; formats not implemented yet are skipped by name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/npy.h"

namespace hifloat {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(HIFLOAT_SHARED_DIR) / "golden";

struct GoldenOutput {
  std::string case_name;
  Shape shape;
  std::string format;
  std::optional<int> axis;  // null in the manifest for elementwise formats
  std::string file;
};

// Returns no outputs (and says why in `error`) when the manifest is missing or
// malformed; GoldenManifest.IsPresentAndCoversHif4AndHif8 then fails with that message.
std::vector<GoldenOutput> load_manifest(std::string* error = nullptr) {
  std::vector<GoldenOutput> out;
  std::ifstream in(kGoldenDir / "manifest.json");
  if (!in) {
    if (error) *error = "cannot open " + (kGoldenDir / "manifest.json").string();
    return out;
  }
  try {
    const nlohmann::json m = nlohmann::json::parse(in);
    for (const auto& [name, c] : m.at("cases").items()) {
      for (const auto& o : c.at("outputs")) {
        GoldenOutput g;
        g.case_name = name;
        g.shape = c.at("shape").get<Shape>();
        g.format = o.at("format").get<std::string>();
        if (!o.at("axis").is_null()) g.axis = o.at("axis").get<int>();
        g.file = o.at("file").get<std::string>();
        out.push_back(g);
      }
    }
  } catch (const std::exception& e) {
    if (error) *error = (kGoldenDir / "manifest.json").string() + ": " + e.what();
    out.clear();
  }
  return out;
}

void PrintTo(const GoldenOutput& g, std::ostream* os) {
  *os << g.file << " (format " << g.format << (g.axis ? ", axis " + std::to_string(*g.axis) : "") << ")";
}

std::string test_name(const GoldenOutput& g) {
  std::string s = g.case_name + "_" + g.format + (g.axis ? "_axis" + std::to_string(*g.axis) : "");
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

std::vector<float> read_floats(const fs::path& path, const Shape& shape) {
  const NpyArray a = read_npy(path.string());
  EXPECT_EQ(a.shape, shape) << path;
  return to_float32(a);
}

bool golden_equal(float got, float want) {
  if (std::isnan(want)) return std::isnan(got);
  return got == want && !std::isnan(got);  // == makes +0 and -0 equal
}

// Mismatch count and the first few offenders, or success.
::testing::AssertionResult matches_golden(const std::vector<float>& x, const std::vector<float>& got,
                                          const std::vector<float>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "got " << got.size() << " values, want " << want.size();
  }
  size_t bad = 0;
  std::ostringstream first;
  first << std::setprecision(9);
  for (size_t i = 0; i < want.size(); ++i) {
    if (golden_equal(got[i], want[i])) continue;
    if (++bad <= 5) {
      first << "\n  flat index " << i << ": input " << x[i] << " (" << std::hexfloat << x[i] << std::defaultfloat
            << "), got " << got[i] << ", want " << want[i];
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << want.size() << " values differ" << first.str();
}

// Skips (naming the format) when the library does not implement it yet.
bool implemented(const std::string& format) {
  try {
    make_codec(format);
    return true;
  } catch (const Error& e) {
    if (std::string(e.what()).find("not implemented") != std::string::npos) return false;
    throw;
  }
}

class Golden : public ::testing::TestWithParam<GoldenOutput> {};

TEST_P(Golden, Library) {
  const GoldenOutput& g = GetParam();
  if (!implemented(g.format)) GTEST_SKIP() << "format '" << g.format << "' is not implemented yet";
  const std::vector<float> x = read_floats(kGoldenDir / (g.case_name + ".x.npy"), g.shape);
  const std::vector<float> want = read_floats(kGoldenDir / g.file, g.shape);
  std::vector<float> got(x.size());
  fake_quant(parse_format(g.format), x.data(), g.shape, g.axis.value_or(-1), got.data());
  EXPECT_TRUE(matches_golden(x, got, want)) << g.file;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

TEST_P(Golden, Cli) {
  const GoldenOutput& g = GetParam();
  const std::string cli = HIFLOAT_CLI_PATH;
  if (cli.empty()) GTEST_SKIP() << "the CLI is not built";
  if (!implemented(g.format)) GTEST_SKIP() << "format '" << g.format << "' is not implemented yet";
  std::string dir_template = (fs::temp_directory_path() / "hifloat_golden_XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  const fs::path dir = dir_template;
  const fs::path in = kGoldenDir / (g.case_name + ".x.npy");
  const fs::path out = dir / "out.npy";
  std::string cmd = shell_quote(cli) + " fake-quant " + shell_quote(g.format) + " " + shell_quote(in.string()) + " " +
                    shell_quote(out.string());
  if (g.axis) cmd += " --axis " + std::to_string(*g.axis);
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  if (rc == 0) {
    const std::vector<float> x = read_floats(in, g.shape);
    const std::vector<float> want = read_floats(kGoldenDir / g.file, g.shape);
    const std::vector<float> got = read_floats(out, g.shape);
    EXPECT_TRUE(matches_golden(x, got, want)) << cmd;
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Manifest, Golden, ::testing::ValuesIn(load_manifest()),
                         [](const auto& info) { return test_name(info.param); });

TEST(GoldenManifest, IsPresentAndCoversHif4AndHif8) {
  std::string error;
  const std::vector<GoldenOutput> all = load_manifest(&error);
  ASSERT_FALSE(all.empty()) << "no golden outputs: " << error;
  int hif4 = 0, hif8 = 0;
  for (const GoldenOutput& g : all) {
    hif4 += g.format == "hif4";
    hif8 += g.format == "hif8";
  }
  EXPECT_GT(hif4, 0);
  EXPECT_GT(hif8, 0);
}

}  // namespace
}  // namespace hifloat
