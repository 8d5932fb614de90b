// Runs a check over all 2^32 float32 bit patterns on every hardware thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace hifloat::testing {

// Calls `check(first, count)` on chunks covering [0, 2^32) from every core;
// returns the sum of the mismatch counts it reports.
template <typename Check>
uint64_t sweep_float32(Check check) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<uint64_t> next{0}, bad{0};
  constexpr uint64_t kChunk = 1u << 20;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (uint64_t start; (start = next.fetch_add(kChunk)) < (1ull << 32);) {
        bad += check(static_cast<uint32_t>(start), static_cast<uint32_t>(kChunk));
      }
    });
  }
  for (auto& th : pool) th.join();
  return bad.load();
}

}  // namespace hifloat::testing
