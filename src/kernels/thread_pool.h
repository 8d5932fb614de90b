// A small persistent thread pool with deterministic static partitioning.
//
// parallel_for splits [0, n) into contiguous ranges whose boundaries depend
// only on n and the thread count, never on timing. The kernels behind it
// compute each element independently (stochastic rounding draws by flat
// index), so results do not depend on the thread count either.
#pragma once

#include <cstddef>
#include <functional>

namespace hifloat::kernels {

// Threads a call asking for `requested` uses: 0 means every hardware thread.
// Throws Error for a negative count.
int resolve_threads(int requested);

// Range boundaries are multiples of this many elements (a cache line of bytes).
inline constexpr size_t kPartitionAlign = 64;
// A thread gets at least this many elements; smaller arrays use fewer threads.
inline constexpr size_t kMinElementsPerThread = size_t{1} << 15;

// Runs fn(begin, end) over a static partition of [0, n) into at most
// `threads` ranges (resolved as by resolve_threads), one range per thread,
// the first on the calling thread. Rethrows the first exception a range throws.
void parallel_for(size_t n, int threads, const std::function<void(size_t, size_t)>& fn);

// Runs fn(i) for every i in [0, tasks) on up to `tasks` threads, task 0 on the
// calling thread. Calls from inside a task run inline (no nesting deadlock);
// concurrent calls from different threads take turns.
void run_tasks(int tasks, const std::function<void(int)>& fn);

}  // namespace hifloat::kernels
