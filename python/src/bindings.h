// Pieces of the `hifloat._hifloat` extension module, one file each.
#pragma once

#include <nanobind/nanobind.h>

namespace hifloat::python {

void bind_formats(nanobind::module_& m);  // formats.cc: registry and format strings
void bind_tensors(nanobind::module_& m);  // tensors.cc: encode / decode / fake_quant
void bind_matmul(nanobind::module_& m);   // matmul.cc: products on packed operands

}  // namespace hifloat::python
