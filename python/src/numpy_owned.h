// Handing a C++ result to numpy without copying it.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <vector>

namespace hifloat::python {

// A new numpy array that owns `v` (moved to the heap), viewed with `shape`.
template <typename T>
nanobind::ndarray<nanobind::numpy, T> to_numpy(std::vector<T>&& v, const std::vector<int64_t>& shape) {
  if (v.empty()) v.resize(1);  // numpy wants a real pointer even for empty arrays
  auto* heap = new std::vector<T>(std::move(v));
  nanobind::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  std::vector<size_t> dims(shape.begin(), shape.end());
  return nanobind::ndarray<nanobind::numpy, T>(heap->data(), dims.size(), dims.data(), owner);
}

}  // namespace hifloat::python
