// Overflow-checked sizes of tensors read from untrusted files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "hifloat/codec.h"

namespace hifloat::io {

// Bytes of a tensor of `elem`-byte elements, or nullopt when a dimension is
// negative or the shape is too large: the product of its non-zero dimensions
// must not exceed `max_elements`, so that no index arithmetic over the shape
// (lines times line length, say) can overflow even when a zero dimension makes
// the tensor empty.
inline std::optional<uint64_t> checked_nbytes(const Shape& shape, size_t elem,
                                              uint64_t max_elements = (uint64_t{1} << 62)) {
  uint64_t nonzero = 1, numel = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    const uint64_t u = static_cast<uint64_t>(d);
    if (u != 0 && nonzero > max_elements / u) return std::nullopt;
    nonzero *= u == 0 ? 1 : u;
    numel *= u;
  }
  if (elem != 0 && numel > (uint64_t{1} << 62) / elem) return std::nullopt;
  return numel * elem;
}

}  // namespace hifloat::io
