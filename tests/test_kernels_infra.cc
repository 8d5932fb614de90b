// The kernel infrastructure: SIMD target selection and the thread pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "hifloat/error.h"
#include "kernel_test_util.h"
#include "kernels/targets.h"
#include "kernels/thread_pool.h"

namespace hifloat {
namespace {

TEST(KernelTargets, FallbackIsCompiledAndDispatchFollowsThePinnedTarget) {
  const std::vector<int64_t> targets = kernels::available_targets();
  ASSERT_FALSE(targets.empty());
  const std::string last = kernels::target_name(targets.back());
  EXPECT_TRUE(last == "SCALAR" || last == "EMU128") << last;
  std::string names;
  for (int64_t t : targets) names += kernels::target_name(t) + " ";
  RecordProperty("targets", names);
  std::cout << "SIMD targets compiled and supported here, best first: " << names << "\n";
  EXPECT_EQ(kernels::active_target(), targets.front());
  for (int64_t t : targets) {
    kernels::ScopedTarget pin(t);
    EXPECT_EQ(kernels::active_target(), t) << kernels::target_name(t);
  }
  EXPECT_EQ(kernels::active_target(), targets.front());
}

#if defined(__x86_64__)
TEST(KernelTargets, X86BuildsCompileSse4Avx2AndAvx512) {
  // Whatever this CPU supports, the build must contain these (checked through
  // the names the CPU can run; AVX-512 only where the CPU has it).
  std::vector<std::string> names;
  for (int64_t t : kernels::available_targets()) names.push_back(kernels::target_name(t));
  const auto has = [&](const char* n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  EXPECT_TRUE(has("SSE4"));
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_TRUE(has("AVX2"));
  }
  if (__builtin_cpu_supports("avx512bw")) {
    EXPECT_TRUE(has("AVX3"));
  }
}
#endif

TEST(ThreadPool, ResolveThreads) {
  EXPECT_EQ(kernels::resolve_threads(1), 1);
  EXPECT_EQ(kernels::resolve_threads(7), 7);
  EXPECT_GE(kernels::resolve_threads(0), 1);
  EXPECT_THROW(kernels::resolve_threads(-1), Error);
}

TEST(ThreadPool, ParallelForCoversEveryIndexOnceInAlignedRanges) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{100000}, size_t{1} << 20, (size_t{1} << 20) + 13}) {
    for (int threads : {1, 2, 3, 7, 0}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> ranges{0};
      kernels::parallel_for(n, threads, [&](size_t b, size_t e) {
        ASSERT_LT(b, e);
        ASSERT_EQ(b % kernels::kPartitionAlign, 0u);
        ++ranges;
        for (size_t i = b; i < e; ++i) ++hits[i];
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " threads=" << threads << " i=" << i;
      EXPECT_LE(ranges.load(), threads == 0 ? kernels::resolve_threads(0) : threads);
    }
  }
}

TEST(ThreadPool, PartitionDependsOnlyOnSizeAndThreadCount) {
  const size_t n = (size_t{1} << 20) + 77;
  std::vector<std::pair<size_t, size_t>> first, second;
  std::mutex m;
  for (auto* out : {&first, &second}) {
    kernels::parallel_for(n, 7, [&](size_t b, size_t e) {
      std::lock_guard<std::mutex> lock(m);
      out->emplace_back(b, e);
    });
    std::sort(out->begin(), out->end());
  }
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 7u);
}

TEST(ThreadPool, UsesSeveralThreadsAndRethrows) {
  std::mutex m;
  std::vector<std::thread::id> ids;
  kernels::run_tasks(4, [&](int) {
    std::lock_guard<std::mutex> lock(m);
    ids.push_back(std::this_thread::get_id());
  });
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_THROW(kernels::run_tasks(3, [](int i) { if (i == 2) throw std::runtime_error("task 2"); }),
               std::runtime_error);
  // Still usable after an exception.
  std::atomic<int> count{0};
  kernels::run_tasks(5, [&](int) { ++count; });
  EXPECT_EQ(count.load(), 5);
}

TEST(ThreadPool, NestedAndConcurrentCallsComplete) {
  std::atomic<int> count{0};
  kernels::run_tasks(3, [&](int) { kernels::run_tasks(3, [&](int) { ++count; }); });
  EXPECT_EQ(count.load(), 9);
  std::vector<std::thread> callers;
  std::atomic<int> total{0};
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&] {
      for (int r = 0; r < 20; ++r) kernels::run_tasks(2, [&](int) { ++total; });
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 3 * 20 * 2);
}

}  // namespace
}  // namespace hifloat
