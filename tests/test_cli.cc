// The `hifloat` command-line tool, run as a separate process: help on every
// subcommand, encode/decode through safetensors files (checked against the
// golden vectors), and bad input giving a one-line error, a non-zero exit code
// and no output file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "hifloat/hif8.h"
#include "hifloat/ieee16.h"
#include "hifloat/npy.h"
#include "hifloat/packed_safetensors.h"
#include "cli_runner.h"
#include "temp_dir.h"

namespace hifloat {
namespace {

using testing::TempDir;

using RunResult = testing::CliResult;
using testing::slurp;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(HIFLOAT_CLI_PATH).empty()) GTEST_SKIP() << "the CLI is not built (HIFLOAT_BUILD_CLI=OFF)";
  }

  // Runs the CLI with `args`, capturing stdout and stderr.
  RunResult run(const std::vector<std::string>& args) {
    return testing::run_cli(args, logs_.file("stdout"), logs_.file("stderr"));
  }

  std::string file(const std::string& name) const { return work_.file(name); }

  TempDir work_;  // inputs and outputs of the commands
  TempDir logs_;  // captured stdout/stderr
};

std::vector<std::string> implemented_format_names() {
  std::vector<std::string> out;
  for (const FormatInfo& f : format_registry()) {
    try {
      make_codec(f.name);
      out.push_back(f.name);
    } catch (const Error&) {
    }
  }
  return out;
}

bool same_value(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// The subcommands `hifloat --help` lists.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_section = true;
      continue;
    }
    if (in_section && line.size() > 2 && line[0] == ' ') {
      std::istringstream words(line);
      std::string name;
      words >> name;
      out.push_back(name);
    } else if (in_section && !line.empty()) {
      in_section = false;
    }
  }
  return out;
}

TEST_F(Cli, HelpOnEverySubcommandExitsZero) {
  const RunResult top = run({"--help"});
  ASSERT_EQ(top.code, 0) << top.err;
  const std::vector<std::string> subs = subcommands_in(top.out);
  for (const char* expected : {"table", "fake-quant", "encode", "decode", "formats", "demo"}) {
    EXPECT_NE(std::find(subs.begin(), subs.end(), expected), subs.end()) << expected << " not in:\n" << top.out;
  }
  for (const std::string& sub : subs) {
    const RunResult r = run({sub, "--help"});
    EXPECT_EQ(r.code, 0) << sub << ": " << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << sub;
  }
}

TEST_F(Cli, FormatsListsEveryRegistryEntry) {
  const RunResult r = run({"formats"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const FormatInfo& f : format_registry()) {
    EXPECT_NE(r.out.find(f.name + " "), std::string::npos) << f.name;
    EXPECT_NE(r.out.find(f.description), std::string::npos) << f.name;
    EXPECT_NE(r.out.find(f.bits_per_value + " b/v"), std::string::npos) << f.name;
    for (const std::string& a : f.aliases) EXPECT_NE(r.out.find(a), std::string::npos) << a;
    for (const OptionDef& d : f.options) {
      EXPECT_NE(r.out.find(d.key + "=" + d.default_value), std::string::npos) << f.name << " " << d.key;
    }
  }
}

// Every golden vector whose format this build implements, through
// `encode FORMAT X.npy OUT.safetensors --axis A` and `decode OUT.safetensors Y.npy`.
TEST_F(Cli, EncodeDecodeThroughSafetensorsMatchesGoldenVectors) {
  const std::string golden = std::string(HIFLOAT_SHARED_DIR) + "/golden";
  std::ifstream mf(golden + "/manifest.json");
  if (!mf) GTEST_SKIP() << "no golden vectors at " << golden;
  const nlohmann::json manifest = nlohmann::json::parse(mf);
  const std::vector<std::string> implemented = implemented_format_names();
  int checked = 0;
  for (const auto& [case_name, c] : manifest.at("cases").items()) {
    const std::string input = golden + "/" + case_name + ".x.npy";
    for (const auto& o : c.at("outputs")) {
      const std::string format = o.at("format").get<std::string>();
      if (std::find(implemented.begin(), implemented.end(), parse_format(format).name) == implemented.end()) continue;
      SCOPED_TRACE(case_name + " " + format + " axis " + o.at("axis").dump());
      std::vector<std::string> enc = {"encode", format, input, file("p.safetensors")};
      if (!o.at("axis").is_null()) {
        enc.push_back("--axis");
        enc.push_back(std::to_string(o.at("axis").get<int>()));
      }
      const RunResult e = run(enc);
      ASSERT_EQ(e.code, 0) << e.err;
      const RunResult d = run({"decode", file("p.safetensors"), file("y.npy")});
      ASSERT_EQ(d.code, 0) << d.err;
      const NpyArray got = read_npy(file("y.npy"));
      const NpyArray want = read_npy(golden + "/" + o.at("file").get<std::string>());
      ASSERT_EQ(got.shape, want.shape);
      const std::vector<float> g = to_float32(got), w = to_float32(want);
      size_t mismatches = 0;
      for (size_t i = 0; i < g.size(); ++i) mismatches += !same_value(g[i], w[i]);
      EXPECT_EQ(mismatches, 0u);
      ++checked;
    }
  }
  EXPECT_GT(checked, 0) << "no golden vector of an implemented format";
}

TEST_F(Cli, EncodeWritesOnePackedTensorNamedX) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> x(7 * 70);
  for (float& v : x) v = normal(rng);
  write_npy(file("x.npy"), DType::kFloat32, {7, 70}, x.data());
  for (const std::string& name : implemented_format_names()) {
    for (const int axis : {0, -1}) {
      SCOPED_TRACE(name + " axis " + std::to_string(axis));
      const RunResult e = run({"encode", name, file("x.npy"), file("p.safetensors"), "--axis", std::to_string(axis)});
      ASSERT_EQ(e.code, 0) << e.err;
      const SafetensorsReader r(file("p.safetensors"));
      ASSERT_EQ(packed_tensor_names(r), std::vector<std::string>{"x"});
      const Packed p = read_packed(r, "x");
      const Packed expected = encode(parse_format(name), x.data(), {7, 70}, axis);
      EXPECT_EQ(p.format, expected.format);
      EXPECT_EQ(p.axis, expected.axis);
      EXPECT_EQ(p.data, expected.data);
      EXPECT_EQ(packed_info(r, "x").dtype, StDType::F32);
    }
  }
  EXPECT_EQ(work_.list(), (std::vector<std::string>{"p.safetensors", "x.npy"}));
}

TEST_F(Cli, Float64AndFloat16InputsEncodeTheirExactValues) {
  // float64 goes straight to hif8 (no double rounding through float32): these
  // lie just above a tie of float32 rounding and of hif8 rounding.
  const std::vector<double> d = {1.0625 + 0x1p-40, -(1.0625 + 0x1p-40), 3.3, 0.1, 1e6};
  write_npy(file("d.npy"), DType::kFloat64, {5}, d.data());
  ASSERT_EQ(run({"encode", "hif8", file("d.npy"), file("d.safetensors")}).code, 0);
  const SafetensorsReader rd(file("d.safetensors"));
  EXPECT_EQ(packed_info(rd, "x").dtype, StDType::F64);
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(rd.data("x")[i], hif8_encode(d[i], Rounding::kAway, Overflow::kInf)) << d[i];
  }
  const std::vector<uint16_t> h = {0x3C00, 0xC248, 0x7BFF, 0x0001};  // 1, -3.140625, 65504, 2^-24
  write_npy(file("h.npy"), DType::kFloat16, {2, 2}, h.data());
  ASSERT_EQ(run({"encode", "hif8", file("h.npy"), file("h.safetensors")}).code, 0);
  const SafetensorsReader rh(file("h.safetensors"));
  EXPECT_EQ(packed_info(rh, "x").dtype, StDType::F16);
  EXPECT_EQ(packed_info(rh, "x").shape, (Shape{2, 2}));
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(rh.data("x")[i], hif8_encode(half_bits_to_float(h[i]), Rounding::kAway, Overflow::kInf)) << i;
  }
}

TEST_F(Cli, Hif8CodesInNpyStillWork) {
  const std::vector<float> x = {1.0f, -3.3f, 0.0f, 40000.0f};
  write_npy(file("x.npy"), DType::kFloat32, {2, 2}, x.data());
  ASSERT_EQ(run({"encode", "hif8", file("x.npy"), file("c.npy")}).code, 0);
  const NpyArray codes = read_npy(file("c.npy"));
  ASSERT_EQ(codes.dtype, DType::kUInt8);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(codes.data[i], hif8_encode(x[i], Rounding::kAway, Overflow::kInf));
  }
  ASSERT_EQ(run({"decode", "hif8", file("c.npy"), file("y.npy")}).code, 0);
  const std::vector<float> y = to_float32(read_npy(file("y.npy")));
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], hif8_decode(codes.data[i]));
}

TEST_F(Cli, DecodeChoosesATensorWithTensorOption) {
  const std::vector<float> a = {1, 2, 3}, b = {-0.5f, 7};
  const Packed pa = encode(parse_format("hif8"), a.data(), {3}, 0);
  const Packed pb = encode(parse_format("hif8:rounding=even"), b.data(), {1, 2}, 0);
  const std::vector<NamedPacked> named = {{"a", &pa, StDType::F32}, {"b", &pb, StDType::F32}};
  write_packed_safetensors(file("two.safetensors"), named);
  const RunResult r = run({"decode", file("two.safetensors"), file("y.npy"), "--tensor", "b"});
  ASSERT_EQ(r.code, 0) << r.err;
  const NpyArray y = read_npy(file("y.npy"));
  EXPECT_EQ(y.shape, (Shape{1, 2}));
  EXPECT_EQ(to_float32(y), b);
}

TEST_F(Cli, BadInputGivesOneLineErrorAndNoOutput) {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  write_npy(file("x.npy"), DType::kFloat32, {2, 3}, x.data());
  const uint8_t u[2] = {1, 2};
  write_npy(file("u8.npy"), DType::kUInt8, {2}, u);
  work_.write("garbage.npy", {'h', 'e', 'l', 'l', 'o'});
  work_.write("garbage.safetensors", {1, 2, 3});
  const Packed p = encode(parse_format("hif8"), x.data(), {2, 3}, -1);
  const std::vector<NamedPacked> two = {{"a", &p, StDType::F32}, {"b", &p, StDType::F32}};
  write_packed_safetensors(file("two.safetensors"), two);
  {
    SafetensorsLayout layout;
    layout.add("w", StDType::F32, {6});
    SafetensorsWriter w(file("plain.safetensors"), layout);
    w.write_tensor("w", std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(x.data()), 24));
    w.commit();
  }
  {
    SafetensorsLayout layout;
    layout.metadata["hifloat.version"] = "1";
    layout.metadata["hifloat:x"] = R"({"format":"hif8","shape":[2,4],"axis":1,"dtype":"F32"})";
    layout.add("x", StDType::U8, {6});
    SafetensorsWriter w(file("short.safetensors"), layout);
    w.write_tensor("x", p.data);
    w.commit();
  }
  const std::vector<std::string> inputs = work_.list();
  const std::string out_st = file("out.safetensors"), out_npy = file("out.npy");
  const struct {
    std::vector<std::string> args;
    const char* expect;
  } cases[] = {
      {{"encode", "hif8", file("missing.npy"), out_st}, "missing.npy: cannot open"},
      {{"encode", "hif8", file("garbage.npy"), out_st}, "not a .npy file"},
      {{"encode", "hif9", file("x.npy"), out_st}, "unknown format 'hif9'"},
      {{"encode", "hif8:rounding=up", file("x.npy"), out_st}, "bad value 'up'"},
      {{"encode", "hif8", file("x.npy"), file("out.txt")}, "must end in .safetensors"},
      {{"encode", "hif8", file("u8.npy"), out_st}, "uint8 is not a floating input"},
      {{"encode", "hif8", file("x.npy"), out_st, "--axis", "5"}, "axis 5 is out of range"},
      {{"encode", "hif8", file("x.npy"), file("nodir/out.safetensors")}, "cannot create"},
      {{"encode", "hif8", file("x.npy")}, "OUT is required"},
      {{"encode", "hif8", file("x.npy"), out_st, "--axis", "one"}, "--axis"},
      {{"decode", file("garbage.safetensors"), out_npy}, "too short"},
      {{"decode", file("missing.safetensors"), out_npy}, "cannot open"},
      {{"decode", file("short.safetensors"), out_npy}, "holds 6 bytes but format 'hif8' with shape [2,4]"},
      {{"decode", file("plain.safetensors"), out_npy}, "holds no packed tensors"},
      {{"decode", file("plain.safetensors"), out_npy, "--tensor", "w"}, "not a packed tensor"},
      {{"decode", file("two.safetensors"), out_npy}, "2 packed tensors (a, b); choose one with --tensor"},
      {{"decode", file("two.safetensors"), out_npy, "--tensor", "c"}, "no tensor named 'c'"},
      {{"decode", file("x.npy"), out_npy}, "expected a .safetensors file"},
      {{"decode", "hif8", file("two.safetensors"), out_npy}, "records its format"},
      {{"decode", "hif8", file("x.npy"), out_npy}, "expected uint8 hif8 codes"},
      {{"decode", file("x.npy")}, "At least 2 required"},
      {{"fake-quant", "hif8", file("garbage.npy"), out_npy}, "not a .npy file"},
      {{"table", "hif9"}, "hif9"},
      {{"no-such-command"}, "error"},
  };
  for (const auto& c : cases) {
    std::string cmd;
    for (const std::string& a : c.args) cmd += " " + a;
    SCOPED_TRACE(cmd);
    const RunResult r = run(c.args);
    EXPECT_NE(r.code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("hifloat: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << "'" << c.expect << "' not in: " << r.err;
    EXPECT_EQ(work_.list(), inputs) << "output or temporary file left behind";
  }
}

TEST_F(Cli, FailedEncodeLeavesAnExistingOutputUntouched) {
  work_.write("out.safetensors", {42});
  work_.write("garbage.npy", {1, 2, 3});
  const RunResult r = run({"encode", "hif8", file("garbage.npy"), file("out.safetensors")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(slurp(file("out.safetensors")), std::string(1, '\x2a'));
}

}  // namespace
}  // namespace hifloat
