// Which SIMD targets the kernels were compiled for and which one runs.
//
// The kernels are compiled once per Highway target (foreach_target.h) and
// dispatched at run time to the best one the CPU supports. Tests use
// ScopedTarget to run every compiled target this CPU supports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hifloat::kernels {

// Highway targets (HWY_AVX2, ...) compiled into the kernels and supported by
// this CPU, best first; the last is the portable fallback (SCALAR or EMU128).
std::vector<int64_t> available_targets();

// The target dynamic dispatch picks now.
int64_t active_target();

std::string target_name(int64_t target);

// Restricts dispatch to one target for the lifetime of the object (process-wide:
// only for tests and benchmarks, not while other threads call kernels).
class ScopedTarget {
 public:
  explicit ScopedTarget(int64_t target);
  ~ScopedTarget();
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;
};

}  // namespace hifloat::kernels
