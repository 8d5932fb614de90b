// The `hifloat._hifloat` extension module. The public Python API lives in
// python/hifloat/ and wraps what is defined here.
#include <nanobind/nanobind.h>

#include "bindings.h"
#include "hif8_dtype.h"
#include "hifloat/error.h"

namespace nb = nanobind;

NB_MODULE(_hifloat, m) {
  m.doc() = "hifloat C++ core: formats, tensor codecs and the hifloat8 numpy dtype";

  // hifloat::Error is bad input (unknown format, bad axis, wrong sizes): ValueError.
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const hifloat::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  hifloat::python::bind_formats(m);
  hifloat::python::bind_tensors(m);
  hifloat::python::bind_matmul(m);
  if (!hifloat::python::register_hif8_dtype(m.ptr())) throw nb::python_error();
}
