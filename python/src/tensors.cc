// Bindings of the tensor API (hifloat/codec.h): fake_quant, encode, decode on
// C-contiguous CPU arrays. The Python layer (python/hifloat/_api.py) turns any
// array-like into such an array (without a copy when it already is one) and
// tells which element type it holds; float16 and bfloat16 arrive as their
// uint16 bit patterns so that neither nanobind nor numpy has to know bfloat16.
//
// Every call releases the GIL while the library runs.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bindings.h"
#include "numpy_owned.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "hifloat/hif8.h"
#include "hifloat/hif8_array.h"
#include "hifloat/ieee16.h"

namespace nb = nanobind;

namespace hifloat::python {

namespace {

using InArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

enum class Kind { kFloat32, kFloat64, kFloat16, kBFloat16 };

Kind parse_kind(std::string_view kind) {
  if (kind == "float32") return Kind::kFloat32;
  if (kind == "float64") return Kind::kFloat64;
  if (kind == "float16") return Kind::kFloat16;
  if (kind == "bfloat16") return Kind::kBFloat16;
  throw Error("unsupported element type '" + std::string(kind) + "' (expected float32, float64, float16 or bfloat16)");
}

// Checks that the buffer's storage type matches the announced element type.
void check_storage(const InArray& x, Kind kind) {
  bool ok = false;
  switch (kind) {
    case Kind::kFloat32: ok = x.dtype() == nb::dtype<float>(); break;
    case Kind::kFloat64: ok = x.dtype() == nb::dtype<double>(); break;
    case Kind::kFloat16:
    case Kind::kBFloat16: ok = x.dtype() == nb::dtype<uint16_t>(); break;
  }
  if (!ok) throw Error("internal: array storage does not match its element type");
}

Shape shape_of(const InArray& x) {
  Shape s(x.ndim());
  for (size_t i = 0; i < x.ndim(); ++i) s[i] = static_cast<int64_t>(x.shape(i));
  return s;
}

// The input as float32: the array itself when it is float32, otherwise an
// exact widening (float16, bfloat16) or a round-to-nearest-even narrowing
// (float64) into `storage`.
const float* as_float32(const InArray& x, Kind kind, size_t n, std::vector<float>& storage) {
  if (kind == Kind::kFloat32) return static_cast<const float*>(x.data());
  storage.resize(n);
  switch (kind) {
    case Kind::kFloat64: {
      const double* d = static_cast<const double*>(x.data());
      for (size_t i = 0; i < n; ++i) storage[i] = static_cast<float>(d[i]);
      break;
    }
    case Kind::kFloat16: {
      const uint16_t* h = static_cast<const uint16_t*>(x.data());
      for (size_t i = 0; i < n; ++i) storage[i] = half_bits_to_float(h[i]);
      break;
    }
    case Kind::kBFloat16: {
      const uint16_t* b = static_cast<const uint16_t*>(x.data());
      for (size_t i = 0; i < n; ++i) storage[i] = bfloat16_bits_to_float(b[i]);
      break;
    }
    case Kind::kFloat32: break;
  }
  return storage.data();
}

// float64 into HiF8 is rounded once, directly from the double (as the CLI
// does), instead of through float32 first.
bool hif8_from_double(const FormatSpec& spec, Kind kind) { return kind == Kind::kFloat64 && spec.name == "hif8"; }

ExecOptions exec_options(int threads) {
  if (threads < 0) throw Error("threads must be >= 0 (0 = all hardware threads), got " + std::to_string(threads));
  ExecOptions e;
  e.threads = threads;
  return e;
}

nb::object fake_quant_py(const InArray& x, std::string_view kind_name, std::string_view format, int axis,
                         int threads) {
  const Kind kind = parse_kind(kind_name);
  check_storage(x, kind);
  const FormatSpec spec = parse_format(format);
  const Shape shape = shape_of(x);
  const size_t n = x.size();
  const ExecOptions exec = exec_options(threads);

  std::vector<float> out32(n);
  {
    nb::gil_scoped_release release;
    if (hif8_from_double(spec, kind)) {
      normalize_axis(shape, axis);  // validated like every other format
      const Hif8Options opt = hif8_options(spec);
      const double* d = static_cast<const double*>(x.data());
      for (size_t i = 0; i < n; ++i) out32[i] = hif8_decode(hif8_encode(d[i], opt, i));
    } else {
      std::vector<float> storage;
      fake_quant(spec, as_float32(x, kind, n, storage), shape, axis, out32.data(), exec);
    }
  }
  // Back to the input's type: exact for float64; round to nearest even for
  // float16/bfloat16 (exact whenever the quantised value is representable).
  switch (kind) {
    case Kind::kFloat32: return nb::cast(to_numpy(std::move(out32), shape));
    case Kind::kFloat64: {
      std::vector<double> out(out32.begin(), out32.end());
      return nb::cast(to_numpy(std::move(out), shape));
    }
    case Kind::kFloat16:
    case Kind::kBFloat16: {
      std::vector<uint16_t> out(n);
      for (size_t i = 0; i < n; ++i) {
        out[i] = kind == Kind::kFloat16 ? float_to_half_bits(out32[i]) : float_to_bfloat16_bits(out32[i]);
      }
      return nb::cast(to_numpy(std::move(out), shape));
    }
  }
  return nb::none();
}

// (packed bytes, canonical format string, normalised axis)
std::tuple<nb::ndarray<nb::numpy, uint8_t>, std::string, int> encode_py(const InArray& x, std::string_view kind_name,
                                                                       std::string_view format, int axis,
                                                                       int threads) {
  const Kind kind = parse_kind(kind_name);
  check_storage(x, kind);
  const FormatSpec spec = parse_format(format);
  const Shape shape = shape_of(x);
  const size_t n = x.size();
  const ExecOptions exec = exec_options(threads);

  Packed p;
  {
    nb::gil_scoped_release release;
    if (hif8_from_double(spec, kind)) {
      p.format = spec;
      p.shape = shape;
      p.axis = normalize_axis(shape, axis);
      p.data.resize(n);
      const Hif8Options opt = hif8_options(spec);
      const double* d = static_cast<const double*>(x.data());
      for (size_t i = 0; i < n; ++i) p.data[i] = hif8_encode(d[i], opt, i);
    } else {
      std::vector<float> storage;
      p = encode(spec, as_float32(x, kind, n, storage), shape, axis, exec);
    }
  }
  const Shape bytes_shape{static_cast<int64_t>(p.data.size())};
  return {to_numpy(std::move(p.data), bytes_shape), p.format.str(), p.axis};
}

nb::ndarray<nb::numpy, float> decode_py(nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu, uint8_t> data,
                                        std::string_view format, const std::vector<int64_t>& shape, int axis,
                                        int threads) {
  Packed p;
  p.format = parse_format(format);
  p.shape = shape;
  p.axis = normalize_axis(p.shape, axis);
  const uint8_t* bytes = data.data();
  p.data.assign(bytes, bytes + data.size());
  const ExecOptions exec = exec_options(threads);
  std::vector<float> out(static_cast<size_t>(num_elements(p.shape)));
  {
    nb::gil_scoped_release release;
    decode(p, out.data(), exec);
  }
  return to_numpy(std::move(out), p.shape);
}

}  // namespace

void bind_tensors(nb::module_& m) {
  m.def("fake_quant", &fake_quant_py, nb::arg("x"), nb::arg("kind"), nb::arg("format"), nb::arg("axis"),
        nb::arg("threads"), "decode(encode(x)) in x's element type (internal; see hifloat.fake_quant).");
  m.def("encode", &encode_py, nb::arg("x"), nb::arg("kind"), nb::arg("format"), nb::arg("axis"), nb::arg("threads"),
        "Packs x: (bytes, canonical format, axis) (internal; see hifloat.encode).");
  m.def("decode", &decode_py, nb::arg("data"), nb::arg("format"), nb::arg("shape"), nb::arg("axis"),
        nb::arg("threads"), "Unpacks to float32 (internal; see hifloat.decode).");
}

}  // namespace hifloat::python
