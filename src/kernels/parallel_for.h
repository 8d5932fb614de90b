// Internal: split [0, n) into contiguous chunks over `threads` std::threads.
// (Plain threads for now; to be replaced by the shared thread pool of the
// conversion kernels once it is on main.)
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace hifloat::kernels {

inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls f(begin, end) on chunks aligned to `grain`. Exceptions are rethrown.
template <typename F>
void parallel_for(int64_t n, int threads, int64_t grain, F&& f) {
  const int t = resolve_threads(threads);
  const int64_t units = (n + grain - 1) / grain;
  if (t <= 1 || units <= 1) {
    if (n > 0) f(int64_t{0}, n);
    return;
  }
  const int64_t workers = std::min<int64_t>(t, units);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  for (int64_t w = 0; w < workers; ++w) {
    const int64_t b = std::min(n, units * w / workers * grain);
    const int64_t e = std::min(n, units * (w + 1) / workers * grain);
    pool.emplace_back([&, w, b, e] {
      try {
        if (b < e) f(b, e);
      } catch (...) {
        errors[static_cast<size_t>(w)] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace hifloat::kernels
