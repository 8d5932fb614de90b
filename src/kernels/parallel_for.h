// Internal: grain-aligned static partition of [0, n) over the shared thread
// pool (thread_pool.h); the form the matmul kernels use.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/thread_pool.h"

namespace hifloat::kernels {

// Calls f(begin, end) on at most `threads` (0 = all hardware threads; negative
// throws Error) contiguous chunks whose boundaries are multiples of `grain`.
// The partition depends only on n, threads and grain. Exceptions are rethrown.
template <typename F>
void parallel_for(int64_t n, int threads, int64_t grain, F&& f) {
  const int t = resolve_threads(threads);
  const int64_t units = (n + grain - 1) / grain;
  if (t <= 1 || units <= 1) {
    if (n > 0) f(int64_t{0}, n);
    return;
  }
  const int64_t workers = std::min<int64_t>(t, units);
  run_tasks(static_cast<int>(workers), [&](int w) {
    const int64_t b = std::min(n, units * w / workers * grain);
    const int64_t e = std::min(n, units * (w + 1) / workers * grain);
    if (b < e) f(b, e);
  });
}

}  // namespace hifloat::kernels
