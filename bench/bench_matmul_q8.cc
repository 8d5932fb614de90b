// HiF4 weights × int8-quantised activations (docs/matmul.md §7) against the
// fp32-activation HiF4 GEMV on the same weights. Counter "tsc_per_32" = TSC
// ticks (rdtsc: constant rate at the CPU's nominal frequency, not the boosted
// core clock) per 32 multiply-adds (M·N·K/32 units of work per call), wall
// clock; "cpu_cyc_per_32" = this thread's CPU time (CLOCK_THREAD_CPUTIME_ID)
// × the TSC rate, which discounts time descheduled on a loaded machine
// (meaningful for threads = 1 only).
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <time.h>

#include <random>
#include <vector>

#include "bench_data.h"
#include "tsc_clock.h"
#include "hifloat/matmul.h"

namespace {

using hifloat::Packed;
using hifloat::bench::gaussian;
using hifloat::bench::random_hif4_weights;
using hifloat::bench::tsc_per_ns;

double thread_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// args: M, N, K, threads, int8 activations (1) or fp32 (0)
void BM_LinearHif4(benchmark::State& st) {
  const int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  const Packed w = random_hif4_weights(n, k, 1);
  const auto a = gaussian(static_cast<size_t>(m * k), 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(3));
  const bool q8 = st.range(4) != 0;
  uint64_t ticks = 0;
  double cpu_ns = 0;
  for (auto _ : st) {
    const double c0 = thread_ns();
    const uint64_t t0 = __rdtsc();
    if (q8) {
      hifloat::linear_q8(a.data(), m, k, w, c.data(), opt);
    } else {
      hifloat::linear(a.data(), m, k, w, c.data(), opt);
    }
    ticks += __rdtsc() - t0;
    cpu_ns += thread_ns() - c0;
    benchmark::DoNotOptimize(c.data());
  }
  const double work32 = static_cast<double>(m * n * k) / 32.0 * static_cast<double>(st.iterations());
  st.counters["tsc_per_32"] = static_cast<double>(ticks) / work32;
  st.counters["cpu_cyc_per_32"] = cpu_ns * tsc_per_ns() / work32;
  st.counters["weight_KiB"] = static_cast<double>(w.data.size()) / 1024.0;
}
// Cache-resident weights (36 KiB in L1/L2, 576 KiB in L2), then a 4096² layer (9 MiB, L3/DRAM)
// for GEMV and for M = 4, 16, 64 (the kernel's row tiles share each pass over the weights).
BENCHMARK(BM_LinearHif4)
    ->ArgsProduct({{1}, {64}, {4096}, {1}, {1, 0}})
    ->ArgsProduct({{1}, {256}, {4096}, {1}, {1, 0}})
    ->ArgsProduct({{1}, {4096}, {4096}, {1, 2}, {1, 0}})
    ->ArgsProduct({{4, 16, 64}, {4096}, {4096}, {1}, {1, 0}})
    ->ArgsProduct({{16}, {1024}, {1024}, {1}, {1, 0}})
    ->ArgNames({"M", "N", "K", "threads", "q8"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
