// matmul A B OUT.npy: C = A·B (or A·Wᵀ with --linear) on packed weights,
// with the accumulation rules of docs/matmul.md. A is a dense float32 .npy or
// a packed tensor in a .safetensors file; B is always packed. With
// --activations int8 a dense A is quantised to int8 per 64 values first and
// multiplied by hif4 weights with the integer kernel of docs/matmul.md §7.
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/packed.h"
#include "hifloat/error.h"
#include "hifloat/matmul.h"
#include "hifloat/npy.h"
#include "hifloat/packed_safetensors.h"

namespace hifloat::cli {
namespace {

struct MatmulArgs {
  std::string a, b, out;
  std::string a_tensor, b_tensor;
  std::string accumulate = "fp32";
  std::string activations = "float";
  bool linear = false;
  int threads = 0;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Packed read_packed_operand(const std::string& path, const std::string& tensor, const std::string& option) {
  const SafetensorsReader file(path);
  return read_packed(file, choose_packed_tensor(file, path, tensor, option));
}

std::string shape_str(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

void matmul_cmd(const MatmulArgs& args) {
  const MatmulOptions opt{parse_accumulation(args.accumulate), args.threads, false};
  if (args.threads < 0) throw Error("--threads must be >= 0 (0 = all cores), got " + std::to_string(args.threads));
  if (!ends_with(args.out, ".npy")) throw Error(args.out + ": the output must be a .npy file");
  if (args.activations != "float" && args.activations != "int8") {
    throw Error("unknown --activations '" + args.activations + "' (expected float or int8)");
  }
  const bool q8 = args.activations == "int8";
  if (q8 && opt.accumulation != Accumulation::kFp32) {
    throw Error("--activations int8 supports --accumulate fp32 only, got '" + args.accumulate +
                "' (docs/matmul.md §7 has one fp32 rule)");
  }
  if (ends_with(args.b, ".npy")) {
    throw Error(args.b + ": B must be a packed tensor in a .safetensors file (dense B is not supported; "
                "pack it with `hifloat encode FORMAT B.npy B.safetensors --axis " +
                std::string(args.linear ? "1" : "0") + "`)");
  }
  if (!ends_with(args.b, ".safetensors")) throw Error(args.b + ": expected a .safetensors file for B");
  const Packed b = read_packed_operand(args.b, args.b_tensor, "--b-tensor");
  if (b.shape.size() != 2) throw Error(args.b + ": B must be 2-d, got shape " + shape_str(b.shape));
  const int k_axis = args.linear ? 1 : 0;
  const int64_t k = b.shape[static_cast<size_t>(k_axis)], n = b.shape[static_cast<size_t>(1 - k_axis)];
  if (b.axis != k_axis) {
    throw Error(args.b + ": B of shape " + shape_str(b.shape) + " is blocked along axis " + std::to_string(b.axis) +
                ", but " + (args.linear ? "--linear needs W (N, K) blocked along axis 1" :
                                          "matmul needs B (K, N) blocked along axis 0 (or use --linear)") +
                " (blocks must run along K)");
  }
  if (q8 && b.format.name != "hif4") {
    throw Error(args.b + ": --activations int8 needs hif4 weights, got format '" + b.format.name +
                "' (use --activations float)");
  }
  Shape out_shape;
  std::vector<float> c;
  if (ends_with(args.a, ".npy")) {
    if (!args.a_tensor.empty()) throw Error("--a-tensor applies to a .safetensors A, not " + args.a);
    const NpyArray a = read_npy(args.a);
    if (a.dtype != DType::kFloat32) {
      throw Error(args.a + ": dense A must be float32, got " + std::string(dtype_name(a.dtype)));
    }
    if (a.shape.size() != 1 && a.shape.size() != 2) throw Error(args.a + ": A must be 1-d or 2-d, got shape " + shape_str(a.shape));
    const int64_t m = a.shape.size() == 2 ? a.shape[0] : 1, ka = a.shape.back();
    if (ka != k) {
      throw Error("shape mismatch: A " + shape_str(a.shape) + " has K = " + std::to_string(ka) + ", B " +
                  shape_str(b.shape) + " has K = " + std::to_string(k));
    }
    const std::vector<float> x = to_float32(a);
    c.resize(static_cast<size_t>(m * n));
    if (q8) {
      args.linear ? linear_q8(x.data(), m, k, b, c.data(), opt) : matmul_q8(x.data(), m, k, b, c.data(), opt);
    } else {
      args.linear ? linear(x.data(), m, k, b, c.data(), opt) : matmul(x.data(), m, k, b, c.data(), opt);
    }
    out_shape = a.shape.size() == 2 ? Shape{m, n} : Shape{n};
  } else if (ends_with(args.a, ".safetensors")) {
    if (q8) {
      throw Error(args.a + ": --activations int8 quantises dense activations; A must be a float32 .npy, "
                  "not a packed .safetensors tensor");
    }
    const Packed a = read_packed_operand(args.a, args.a_tensor, "--a-tensor");
    // Different formats: matmul() names both (layout options count, encode-only ones do not).
    if (a.shape.size() != 1 && a.shape.size() != 2) throw Error(args.a + ": A must be 1-d or 2-d, got shape " + shape_str(a.shape));
    if (a.shape.back() != k) {
      throw Error("shape mismatch: A " + shape_str(a.shape) + " has K = " + std::to_string(a.shape.back()) + ", B " +
                  shape_str(b.shape) + " has K = " + std::to_string(k));
    }
    if (a.axis != static_cast<int>(a.shape.size()) - 1) {
      throw Error(args.a + ": A of shape " + shape_str(a.shape) + " is blocked along axis " + std::to_string(a.axis) +
                  ", but A (M, K) must be blocked along its last axis (K)");
    }
    const int64_t m = a.shape.size() == 2 ? a.shape[0] : 1;
    c.resize(static_cast<size_t>(m * n));
    args.linear ? linear(a, b, c.data(), opt) : matmul(a, b, c.data(), opt);
    out_shape = a.shape.size() == 2 ? Shape{m, n} : Shape{n};
  } else {
    throw Error(args.a + ": expected a .npy (dense float32) or .safetensors (packed) file for A");
  }
  write_npy(args.out, DType::kFloat32, out_shape, c.data());
}

}  // namespace

void register_matmul(CLI::App& app) {
  static MatmulArgs args;
  auto* c = app.add_subcommand("matmul",
                               "Matrix product on packed weights: C = A·B with B (K, N) packed along axis 0, or "
                               "C = A·Wᵀ (--linear) with W (N, K) packed along axis 1 (docs/matmul.md)");
  c->add_option("A", args.a, "A (M, K): dense float32 .npy, or a packed tensor in a .safetensors file")->required();
  c->add_option("B", args.b, "B (K, N), or W (N, K) with --linear: a packed tensor in a .safetensors file")
      ->required();
  c->add_option("OUT", args.out, "Output .npy (float32, shape (M, N))")->required();
  c->add_option("--a-tensor", args.a_tensor, "Packed tensor of A's file (default: its only packed tensor)");
  c->add_option("--b-tensor", args.b_tensor, "Packed tensor of B's file (default: its only packed tensor)");
  c->add_flag("--linear", args.linear, "C = A·Wᵀ with W (N, K) blocked along axis 1");
  c->add_option("--accumulate", args.accumulate, "Accumulation: exact, fp32 (default) or fp32_trunc");
  c->add_option("--activations", args.activations,
                "float (default): A as it is; int8: quantise dense A to int8 per 64 values and use the integer "
                "HiF4 kernel (hif4 B, --accumulate fp32; docs/matmul.md §7)");
  c->add_option("--threads", args.threads, "Worker threads (default 0 = all cores; results never depend on it)");
  c->callback([] { matmul_cmd(args); });
}

}  // namespace hifloat::cli
