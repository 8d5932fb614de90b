// HiFloat4 family kernel throughput: quantise / dequantise / fake-quant of a
// 4096 x 4096 float32 tensor (16M elements), blocked along the last axis or
// axis 0, one thread and all threads, plus the scalar reference codec.
// Items = elements; bytes = float32 input bytes (4 per element), so GB/s is
// "GB of float32 processed per second". The memcpy baseline is
// BM_Elementwise_Memcpy (bench_elementwise.cc).
//
//   ./build/hifloat_bench --benchmark_filter=Hif4
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hifloat/codec.h"
#include "kernels/hif4_kernels.h"

namespace hifloat {
namespace {

constexpr int64_t kRows = 4096, kCols = 4096;
constexpr size_t kN = static_cast<size_t>(kRows * kCols);

// Activations-like data: normal with a spread of scales.
const std::vector<float>& hif4_input() {
  static const std::vector<float> data = [] {
    std::vector<float> v(kN);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> scale(-12, 12);
    for (float& x : v) x = std::ldexp(normal(rng), scale(rng));
    return v;
  }();
  return data;
}

// Arguments: member m (1..4), axis (1 = last, 0 = first), threads (1, or 0 = all).
void hif4_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "axis", "threads"});
  for (int axis : {1, 0}) {
    for (int threads : {1, 0}) b->Args({3, axis, threads});
  }
  for (int m : {1, 2, 4}) b->Args({m, 1, 1});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * sizeof(float)));
  state.counters["threads"] = static_cast<double>(state.range(2) == 0 ? std::thread::hardware_concurrency() : 1);
}

LineGeometry geometry(const benchmark::State& state) {
  return LineGeometry({kRows, kCols}, static_cast<int>(state.range(1)));
}

size_t packed_bytes(int m) { return kN / 64 * static_cast<size_t>(kernels::hif4_unit_bytes(m)); }

void BM_Hif4_Quantize(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0));
  hif4_input();  // generated outside the timed loop
  std::vector<uint8_t> out(packed_bytes(m), 1);
  for (auto _ : state) {
    kernels::hif4_encode(m, kernels::Hif4Mode::kAway, hif4_input().data(), geometry(state), out.data(),
                         static_cast<int>(state.range(2)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Hif4_Quantize)->Apply(hif4_args);

void BM_Hif4_Dequantize(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0));
  std::vector<uint8_t> packed(packed_bytes(m));
  kernels::hif4_encode(m, kernels::Hif4Mode::kAway, hif4_input().data(), geometry(state), packed.data(), 0);
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::hif4_decode(m, packed.data(), geometry(state), out.data(), static_cast<int>(state.range(2)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Hif4_Dequantize)->Apply(hif4_args);

void BM_Hif4_FakeQuant(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0));
  hif4_input();
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::hif4_fake_quant(m, kernels::Hif4Mode::kAway, hif4_input().data(), geometry(state), out.data(),
                             static_cast<int>(state.range(2)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Hif4_FakeQuant)->Apply(hif4_args);

// The scalar reference codec (src/formats/hif4.cc), one thread, last axis.
void BM_Hif4_FakeQuantReference(benchmark::State& state) {
  hif4_input();
  std::vector<float> out(kN, 1.0f);
  const FormatSpec spec = parse_format("hif4");
  for (auto _ : state) {
    fake_quant(spec, hif4_input().data(), {kRows, kCols}, -1, out.data(), ExecOptions{1, true});
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * sizeof(float)));
}
BENCHMARK(BM_Hif4_FakeQuantReference)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace hifloat
