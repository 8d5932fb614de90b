// Registration of the `hifloat8` numpy dtype (hif8_dtype.cc).
#pragma once

#include <Python.h>

namespace hifloat::python {

// Registers the dtype, its casts and ufunc loops with numpy and adds the
// scalar type `hifloat8` to `module`. Returns false with a Python error set.
bool register_hif8_dtype(PyObject* module);

}  // namespace hifloat::python
