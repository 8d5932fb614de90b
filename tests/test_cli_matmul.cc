// `hifloat matmul`, run as a separate process: its output equals the library
// call bit for bit, and each bad input gives a non-zero exit code, exactly one
// line on stderr and no output file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/matmul.h"
#include "hifloat/npy.h"
#include "hifloat/packed_safetensors.h"
#include "matmul_test_util.h"
#include "cli_runner.h"
#include "temp_dir.h"

namespace hifloat {
namespace {

using testing::random_floats;
using testing::same_bits;
using testing::TempDir;

using RunResult = testing::CliResult;

class CliMatmul : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(HIFLOAT_CLI_PATH).empty()) GTEST_SKIP() << "the CLI is not built (HIFLOAT_BUILD_CLI=OFF)";
  }

  // Runs `hifloat matmul args...`.
  RunResult run(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"matmul"};
    full.insert(full.end(), args.begin(), args.end());
    return testing::run_cli(full, logs_.file("stdout"), logs_.file("stderr"));
  }

  std::string file(const std::string& name) const { return work_.file(name); }

  // Writes a dense float32 .npy and returns its path.
  std::string dense(const std::string& name, const Shape& shape, const std::vector<float>& x) {
    write_npy(file(name), DType::kFloat32, shape, x.data());
    return file(name);
  }
  // Writes packed tensors into one .safetensors file and returns its path.
  std::string packed(const std::string& name, const std::vector<std::pair<std::string, const Packed*>>& tensors) {
    std::vector<NamedPacked> t;
    for (const auto& [n, p] : tensors) t.push_back({n, p, StDType::F32});
    write_packed_safetensors(file(name), t);
    return file(name);
  }

  // Runs a command that must fail: one stderr line, no output file.
  void expect_error(const std::vector<std::string>& args, const std::string& needle) {
    const std::string out = args[2];
    const RunResult r = run(args);
    EXPECT_NE(r.code, 0) << needle;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err << "expected to mention: " << needle;
    EXPECT_FALSE(std::filesystem::exists(out)) << out;
  }

  TempDir work_, logs_;
};

std::vector<float> read_floats(const std::string& path, const Shape& want_shape) {
  const NpyArray a = read_npy(path);
  EXPECT_EQ(a.dtype, DType::kFloat32);
  EXPECT_EQ(a.shape, want_shape);
  return to_float32(a);
}

Packed encode_floats(const char* format, const Shape& shape, int axis, uint64_t seed) {
  const std::vector<float> x = random_floats(static_cast<size_t>(num_elements(shape)), seed, 3);
  return encode(parse_format(format), x.data(), shape, axis);
}

constexpr int64_t kM = 3, kK = 130, kN = 7;

TEST_F(CliMatmul, DenseTimesPackedEqualsLibrary) {
  const std::vector<float> a = random_floats(kM * kK, 1);
  const std::string a_path = dense("a.npy", {kM, kK}, a);
  for (const char* format : {"hif4", "nvfp4", "mxfp4", "int4:group=16", "hif8"}) {
    const Packed b = encode_floats(format, {kK, kN}, 0, 2), w = encode_floats(format, {kN, kK}, 1, 3);
    const std::string b_path = packed("b.safetensors", {{"b", &b}}), w_path = packed("w.safetensors", {{"w", &w}});
    for (const char* acc : {"exact", "fp32", "fp32_trunc"}) {
      MatmulOptions opt;
      opt.accumulation = parse_accumulation(acc);
      std::vector<float> want(kM * kN), want_lin(kM * kN);
      matmul(a.data(), kM, kK, b, want.data(), opt);
      linear(a.data(), kM, kK, w, want_lin.data(), opt);
      for (const char* threads : {"1", "0", "3"}) {
        const std::string c = file(std::string("c_") + acc + threads + ".npy");
        RunResult r = run({a_path, b_path, c, "--accumulate", acc, "--threads", threads});
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(same_bits(read_floats(c, {kM, kN}), want)) << format << " " << acc;
        r = run({a_path, w_path, c, "--linear", "--accumulate", acc, "--threads", threads});
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(same_bits(read_floats(c, {kM, kN}), want_lin)) << format << " " << acc << " --linear";
      }
    }
  }
}

TEST_F(CliMatmul, DefaultsToFp32AndAcceptsOneDimensionalA) {
  const std::vector<float> a = random_floats(kK, 4);
  const Packed w = encode_floats("hif4", {kN, kK}, 1, 5);
  std::vector<float> want(kN);
  linear(a.data(), 1, kK, w, want.data());
  const RunResult r = run({dense("a.npy", {kK}, a), packed("w.safetensors", {{"w", &w}}), file("c.npy"), "--linear"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(same_bits(read_floats(file("c.npy"), {kN}), want));
}

TEST_F(CliMatmul, PackedTimesPackedChoosesTensors) {
  const Packed a = encode_floats("hif4", {kM, kK}, 1, 6), w = encode_floats("hif4", {kN, kK}, 1, 7);
  const Packed other = encode_floats("hif4", {2, 64}, 1, 8);
  const std::string both = packed("both.safetensors", {{"act", &a}, {"weight", &w}, {"other", &other}});
  for (const char* acc : {"exact", "fp32", "fp32_trunc"}) {
    MatmulOptions opt;
    opt.accumulation = parse_accumulation(acc);
    std::vector<float> want(kM * kN);
    linear(a, w, want.data(), opt);
    const RunResult r =
        run({both, both, file("c.npy"), "--linear", "--a-tensor", "act", "--b-tensor", "weight", "--accumulate", acc});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(same_bits(read_floats(file("c.npy"), {kM, kN}), want)) << acc;
  }
}

TEST_F(CliMatmul, Int8ActivationsEqualLibrary) {
  // --activations int8 runs linear_q8 / matmul_q8 (docs/matmul.md §7); those are
  // checked against their reference in test_matmul_q8.cc and, from Python,
  // against a numpy model of §7 (python/tests/test_matmul_q8.py).
  std::vector<float> a = random_floats(kM * kK, 21, 4);
  a[kK + 70] = std::numeric_limits<float>::infinity();  // row 1, block 1: a NaN row
  const std::string a_path = dense("a.npy", {kM, kK}, a), a1_path = dense("a1.npy", {kK}, random_floats(kK, 22));
  const Packed b = encode_floats("hif4", {kK, kN}, 0, 23), w = encode_floats("hif4", {kN, kK}, 1, 24);
  const std::string b_path = packed("b.safetensors", {{"b", &b}}), w_path = packed("w.safetensors", {{"w", &w}});
  std::vector<float> want(kM * kN), want_lin(kM * kN), want_ref(kM * kN), want_float(kM * kN);
  matmul_q8(a.data(), kM, kK, b, want.data());
  linear_q8(a.data(), kM, kK, w, want_lin.data());
  MatmulOptions ref;
  ref.reference = true;
  linear_q8(a.data(), kM, kK, w, want_ref.data(), ref);
  ASSERT_TRUE(same_bits(want_lin, want_ref));
  linear(a.data(), kM, kK, w, want_float.data());
  ASSERT_FALSE(same_bits(want_lin, want_float));  // the option must change the result
  for (const char* threads : {"1", "0", "3"}) {
    const std::string c = file(std::string("c_q8_") + threads + ".npy");
    RunResult r = run({a_path, b_path, c, "--activations", "int8", "--threads", threads});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(same_bits(read_floats(c, {kM, kN}), want)) << threads;
    r = run({a_path, w_path, c, "--linear", "--activations", "int8", "--accumulate", "fp32", "--threads", threads});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(same_bits(read_floats(c, {kM, kN}), want_lin)) << threads << " --linear";
  }
  // --activations float is the default product.
  RunResult r = run({a_path, w_path, file("c_f.npy"), "--linear", "--activations", "float"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(same_bits(read_floats(file("c_f.npy"), {kM, kN}), want_float));
  // A 1-d A gives a 1-d output.
  std::vector<float> want1(kN);
  const NpyArray a1 = read_npy(a1_path);
  linear_q8(to_float32(a1).data(), 1, kK, w, want1.data());
  r = run({a1_path, w_path, file("c1.npy"), "--linear", "--activations", "int8"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(same_bits(read_floats(file("c1.npy"), {kN}), want1));
}

TEST_F(CliMatmul, Int8ActivationsBadInputGivesOneLineAndNoOutput) {
  const std::string a = dense("a.npy", {kM, kK}, random_floats(kM * kK, 25));
  const std::string a_short = dense("a_short.npy", {kM, kK - 1}, random_floats(kM * (kK - 1), 26));
  const Packed w = encode_floats("hif4", {kN, kK}, 1, 27), ap = encode_floats("hif4", {kM, kK}, 1, 28);
  const Packed wn = encode_floats("nvfp4", {kN, kK}, 1, 29), w8 = encode_floats("hif8", {kN, kK}, 1, 30);
  const std::string w_path = packed("w.safetensors", {{"w", &w}}), ap_path = packed("ap.safetensors", {{"a", &ap}});
  const std::string wn_path = packed("wn.safetensors", {{"w", &wn}}), w8_path = packed("w8.safetensors", {{"w", &w8}});
  const std::string out = file("out.npy");
  expect_error({a, wn_path, out, "--linear", "--activations", "int8"}, "needs hif4 weights, got format 'nvfp4'");
  expect_error({a, w8_path, out, "--linear", "--activations", "int8"}, "needs hif4 weights, got format 'hif8'");
  expect_error({a, w_path, out, "--linear", "--activations", "int8", "--accumulate", "exact"},
               "--activations int8 supports --accumulate fp32 only, got 'exact'");
  expect_error({a, w_path, out, "--linear", "--activations", "int8", "--accumulate", "fp32_trunc"},
               "--accumulate fp32 only, got 'fp32_trunc'");
  expect_error({a, w_path, out, "--linear", "--activations", "int4"}, "unknown --activations 'int4'");
  expect_error({a_short, w_path, out, "--linear", "--activations", "int8"}, "shape mismatch");
  expect_error({a, w_path, out, "--activations", "int8"}, "blocked along axis 1");  // W layout without --linear
  expect_error({ap_path, w_path, out, "--linear", "--activations", "int8"}, "A must be a float32 .npy");
}

TEST_F(CliMatmul, BadInputGivesOneLineAndNoOutput) {
  const std::string a = dense("a.npy", {kM, kK}, random_floats(kM * kK, 9));
  const std::string a_short = dense("a_short.npy", {kM, kK - 1}, random_floats(kM * (kK - 1), 9));
  const std::vector<double> a64(kM * kK, 1.0);
  write_npy(file("a64.npy"), DType::kFloat64, {kM, kK}, a64.data());
  const Packed b = encode_floats("hif4", {kK, kN}, 0, 10), w = encode_floats("hif4", {kN, kK}, 1, 11);
  const Packed wn = encode_floats("nvfp4", {kN, kK}, 1, 12), ap = encode_floats("hif4", {kM, kK}, 1, 13);
  const Packed b3 = encode_floats("hif4", {2, kK, kN}, 1, 14);
  const std::string b_path = packed("b.safetensors", {{"b", &b}}), w_path = packed("w.safetensors", {{"w", &w}});
  const std::string wn_path = packed("wn.safetensors", {{"w", &wn}}), ap_path = packed("ap.safetensors", {{"a", &ap}});
  const std::string two = packed("two.safetensors", {{"b", &b}, {"w", &w}});
  const std::string b3_path = packed("b3.safetensors", {{"b", &b3}});
  const std::string out = file("out.npy");
  expect_error({a_short, b_path, out}, "shape mismatch");
  expect_error({a, w_path, out}, "blocked along axis 1");              // W layout without --linear
  expect_error({a, b_path, out, "--linear"}, "blocked along axis 0");  // B layout with --linear
  expect_error({ap_path, wn_path, out, "--linear"}, "different formats");
  expect_error({a, file("a.npy"), out}, "dense B is not supported");
  expect_error({a, b_path, out, "--accumulate", "fp16"}, "unknown accumulation");
  expect_error({a, two, out}, "choose one with --b-tensor");
  expect_error({two, w_path, out, "--linear"}, "choose one with --a-tensor");
  expect_error({a, two, out, "--b-tensor", "nope"}, "no tensor named 'nope'");
  expect_error({file("a64.npy"), b_path, out}, "must be float32");
  expect_error({a, b3_path, out}, "must be 2-d");
  expect_error({file("missing.npy"), b_path, out}, "missing.npy");
  expect_error({a, b_path, file("out.txt")}, "must be a .npy");
  expect_error({a, b_path, out, "--threads", "-1"}, "--threads");
}

}  // namespace
}  // namespace hifloat
