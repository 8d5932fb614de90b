// Internal: partitions of [0, n) over the shared thread pool (thread_pool.h)
// in the forms the matmul kernels use.
#pragma once

#include <algorithm>
#include <atomic>
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

// Calls f(begin, end) for every block [b·block, min(n, (b+1)·block)) of
// [0, n), on up to `threads` threads that take the next block from a shared
// counter: the caller starts at once, and a worker that wakes late (or runs on
// a core busy with another process) just takes fewer blocks. Which thread runs
// a block depends on timing, so f must compute each block independently of
// that (as every kernel here does). Exceptions are rethrown.
template <typename F>
void parallel_for_blocks(int64_t n, int threads, int64_t block, F&& f) {
  const int64_t blocks = (n + block - 1) / block;
  const int tasks = static_cast<int>(std::min<int64_t>(resolve_threads(threads), blocks));
  std::atomic<int64_t> next{0};
  run_tasks(tasks, [&](int) {
    for (int64_t b; (b = next.fetch_add(1, std::memory_order_relaxed)) < blocks;) {
      f(b * block, std::min(n, (b + 1) * block));
    }
  });
}

}  // namespace hifloat::kernels
