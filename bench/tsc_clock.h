// TSC ticks (rdtsc) as the benchmarks' cycle count: constant rate at the CPU's
// nominal frequency, not the boosted core clock. x86 only.
#pragma once

#include <x86intrin.h>

#include <time.h>

#include <cstdint>

namespace hifloat::bench {

// TSC ticks per nanosecond, calibrated once (50 ms) against CLOCK_MONOTONIC.
inline double tsc_per_ns() {
  static const double rate = [] {
    timespec a{}, b{};
    clock_gettime(CLOCK_MONOTONIC, &a);
    const uint64_t t0 = __rdtsc();
    do clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec) < 5e7);
    const double ns = static_cast<double>(b.tv_sec - a.tv_sec) * 1e9 + static_cast<double>(b.tv_nsec - a.tv_nsec);
    return static_cast<double>(__rdtsc() - t0) / ns;
  }();
  return rate;
}

}  // namespace hifloat::bench
