// Bindings of the matrix products on packed operands (hifloat/matmul.h). The
// Python layer (python/hifloat/_matmul.py) checks types and shapes and passes
// dense activations as float32, or bfloat16 as their uint16 bit patterns.
// `activations="int8"` selects the int8-activation kernels (linear_q8 / matmul_q8).
//
// Every call releases the GIL while the library runs.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.h"
#include "numpy_owned.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "hifloat/ieee16.h"
#include "hifloat/matmul.h"

namespace nb = nanobind;

namespace hifloat::python {

namespace {

using Bytes = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu, uint8_t>;
using Dense = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

// The packed operand read in place from the numpy bytes (no copy: for a GEMV
// the weights' copy took longer than the product). nanobind keeps the array
// alive for the call; the product runs with the GIL released but never writes it.
PackedView make_view(const Bytes& data, std::string_view format, const std::vector<int64_t>& shape, int axis) {
  PackedView p;
  p.format = parse_format(format);
  p.shape = shape;
  p.axis = normalize_axis(p.shape, axis);
  p.data = std::span<const uint8_t>(data.data(), data.size());
  return p;
}

MatmulOptions options(std::string_view accumulate, int threads) {
  if (threads < 0) throw Error("threads must be >= 0 (0 = all hardware threads), got " + std::to_string(threads));
  MatmulOptions opt;
  opt.accumulation = parse_accumulation(accumulate);
  opt.threads = threads;
  return opt;
}

// The N of the packed second operand: the dimension that is not K.
int64_t n_of(const PackedView& b, bool as_linear) {
  if (b.shape.size() != 2) throw Error("matmul: the packed second operand must be 2-d");
  return as_linear ? b.shape[0] : b.shape[1];
}

// Dense a (m×k, float32 or bfloat16 bits) times packed b; returns (m, n) float32.
// activations: "float" (docs/matmul.md §2: linear / matmul) or "int8" (§7: the
// activations are quantised to int8 per 64 values first: linear_q8 / matmul_q8).
nb::ndarray<nb::numpy, float> matmul_dense_py(const Dense& a, std::string_view kind, int64_t m, int64_t k,
                                              const Bytes& b_data, std::string_view b_format,
                                              const std::vector<int64_t>& b_shape, int b_axis,
                                              std::string_view accumulate, bool as_linear, int threads,
                                              std::string_view activations) {
  const PackedView b = make_view(b_data, b_format, b_shape, b_axis);
  const MatmulOptions opt = options(accumulate, threads);
  if (activations != "float" && activations != "int8") {
    throw Error("matmul: unknown activations '" + std::string(activations) + "' (expected float or int8)");
  }
  const bool q8 = activations == "int8";
  if (m < 0 || k < 0 || static_cast<size_t>(m * k) != a.size()) throw Error("internal: dense operand size mismatch");
  const int64_t n = n_of(b, as_linear);
  std::vector<float> c(static_cast<size_t>(m * n));
  const auto run = [&](const auto* x) {
    if (q8) {
      as_linear ? linear_q8(x, m, k, b, c.data(), opt) : matmul_q8(x, m, k, b, c.data(), opt);
    } else {
      as_linear ? linear(x, m, k, b, c.data(), opt) : matmul(x, m, k, b, c.data(), opt);
    }
  };
  if (kind == "float32") {
    if (a.dtype() != nb::dtype<float>()) throw Error("internal: float32 storage expected");
    const float* x = static_cast<const float*>(a.data());
    nb::gil_scoped_release release;
    run(x);
  } else if (kind == "bfloat16") {
    if (a.dtype() != nb::dtype<uint16_t>()) throw Error("internal: bfloat16 bits expected");
    const uint16_t* bits = static_cast<const uint16_t*>(a.data());
    nb::gil_scoped_release release;
    std::vector<bfloat16> x(a.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = bfloat16::from_bits(bits[i]);
    run(x.data());
  } else {
    throw Error("matmul: dense operand must be float32 or bfloat16, got " + std::string(kind));
  }
  return to_numpy(std::move(c), {m, n});
}

// The activation quantisation of docs/matmul.md §7 on each row of a float32
// (m×k) array: returns q (m, ceil(k/64)·64) int8, tail zero, and d (m, ceil(k/64)).
nb::tuple quantize_activations_q8_py(const nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu, float>& a, int64_t m,
                                     int64_t k) {
  if (m < 0 || k < 0 || static_cast<size_t>(m * k) != a.size()) throw Error("internal: dense operand size mismatch");
  const int64_t units = (k + kQ8Block - 1) / kQ8Block;
  std::vector<int8_t> q(static_cast<size_t>(m * units * kQ8Block));
  std::vector<float> d(static_cast<size_t>(m * units));
  {
    const float* x = a.data();
    nb::gil_scoped_release release;
    for (int64_t i = 0; i < m; ++i) {
      quantize_activations_q8(x + i * k, k, q.data() + i * units * kQ8Block, d.data() + i * units);
    }
  }
  return nb::make_tuple(to_numpy(std::move(q), {m, units * kQ8Block}), to_numpy(std::move(d), {m, units}));
}

// Packed a (M, K) or (K,) times packed b, same format; returns (M, N) float32.
nb::ndarray<nb::numpy, float> matmul_packed_py(const Bytes& a_data, std::string_view a_format,
                                               const std::vector<int64_t>& a_shape, int a_axis, const Bytes& b_data,
                                               std::string_view b_format, const std::vector<int64_t>& b_shape,
                                               int b_axis, std::string_view accumulate, bool as_linear,
                                               int threads) {
  const PackedView a = make_view(a_data, a_format, a_shape, a_axis);
  const PackedView b = make_view(b_data, b_format, b_shape, b_axis);
  const MatmulOptions opt = options(accumulate, threads);
  const int64_t m = a.shape.size() == 2 ? a.shape[0] : 1, n = n_of(b, as_linear);
  std::vector<float> c(static_cast<size_t>(m * n));
  {
    nb::gil_scoped_release release;
    as_linear ? linear(a, b, c.data(), opt) : matmul(a, b, c.data(), opt);
  }
  return to_numpy(std::move(c), {m, n});
}

}  // namespace

void bind_matmul(nb::module_& m) {
  m.def("matmul_dense", &matmul_dense_py, nb::arg("a"), nb::arg("kind"), nb::arg("m"), nb::arg("k"),
        nb::arg("b_data"), nb::arg("b_format"), nb::arg("b_shape"), nb::arg("b_axis"), nb::arg("accumulate"),
        nb::arg("linear"), nb::arg("threads"), nb::arg("activations"),
        "Dense × packed product (internal; see hifloat.matmul).");
  m.def("quantize_activations_q8", &quantize_activations_q8_py, nb::arg("a"), nb::arg("m"), nb::arg("k"),
        "int8 activation quantisation of docs/matmul.md §7 (internal; see hifloat.quantize_activations_q8).");
  m.def("matmul_packed", &matmul_packed_py, nb::arg("a_data"), nb::arg("a_format"), nb::arg("a_shape"),
        nb::arg("a_axis"), nb::arg("b_data"), nb::arg("b_format"), nb::arg("b_shape"), nb::arg("b_axis"),
        nb::arg("accumulate"), nb::arg("linear"), nb::arg("threads"),
        "Packed × packed product (internal; see hifloat.matmul).");
}

}  // namespace hifloat::python
