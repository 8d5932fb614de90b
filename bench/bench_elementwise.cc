// Elementwise conversion throughput: HiF8 encode / decode / fake-quant and
// FP8 encode/decode over 16M elements, one thread and all threads, against
// memcpy of the same bytes. Items = elements; bytes = bytes read + written.
//
//   ./build/hifloat_bench --benchmark_filter=Elementwise
// bench/compare_elementwise.py runs this and ml_dtypes' numpy casts side by side.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "hifloat/hif8.h"
#include "kernels/fp8_kernels.h"
#include "kernels/hif8_kernels.h"
#include "kernels/targets.h"

#include "bench_data.h"

namespace hifloat {
namespace {

constexpr size_t kN = bench::kElements;

const std::vector<float>& input_floats() { return bench::activations(); }

template <typename T>
std::vector<T> converted_input() {
  const std::vector<float>& f = input_floats();
  std::vector<T> v(f.size());
  for (size_t i = 0; i < f.size(); ++i) v[i] = T(f[i]);
  return v;
}

// threads argument: 1, or 0 = all hardware threads.
void set_counters(benchmark::State& state, size_t bytes_per_element) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * bytes_per_element));
  state.counters["threads"] = static_cast<double>(state.range(0) == 0 ? std::thread::hardware_concurrency() : 1);
}

void threads_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads")->Arg(1)->Arg(0)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
}

template <typename In>
void run_hif8_encode(benchmark::State& state, Rounding rounding) {
  static const std::vector<In> in = converted_input<In>();
  std::vector<uint8_t> out(kN, 1);
  const Hif8Options opt{rounding, Overflow::kInf, 7};
  for (auto _ : state) {
    kernels::hif8_encode(in.data(), out.data(), kN, opt, 0, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, sizeof(In) + 1);
}
void BM_Elementwise_Hif8Encode(benchmark::State& state, int type, Rounding rounding) {
  if (type == 32) run_hif8_encode<float>(state, rounding);
  if (type == 16) run_hif8_encode<float16>(state, rounding);
  if (type == 15) run_hif8_encode<bfloat16>(state, rounding);
}
BENCHMARK_CAPTURE(BM_Elementwise_Hif8Encode, f32_away, 32, Rounding::kAway)->Apply(threads_args);
BENCHMARK_CAPTURE(BM_Elementwise_Hif8Encode, f32_even, 32, Rounding::kEven)->Apply(threads_args);
BENCHMARK_CAPTURE(BM_Elementwise_Hif8Encode, f32_stochastic, 32, Rounding::kStochastic)->Apply(threads_args);
BENCHMARK_CAPTURE(BM_Elementwise_Hif8Encode, f16_away, 16, Rounding::kAway)->Apply(threads_args);
BENCHMARK_CAPTURE(BM_Elementwise_Hif8Encode, bf16_away, 15, Rounding::kAway)->Apply(threads_args);

template <typename Out>
void BM_Elementwise_Hif8Decode(benchmark::State& state) {
  std::vector<uint8_t> codes(kN);
  kernels::hif8_encode(input_floats().data(), codes.data(), kN, {}, 0, 0);
  std::vector<Out> out(kN, Out(1.0f));
  for (auto _ : state) {
    kernels::hif8_decode(codes.data(), out.data(), kN, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, sizeof(Out) + 1);
}
BENCHMARK_TEMPLATE(BM_Elementwise_Hif8Decode, float)->Apply(threads_args);
BENCHMARK_TEMPLATE(BM_Elementwise_Hif8Decode, float16)->Apply(threads_args);

void BM_Elementwise_Hif8FakeQuant(benchmark::State& state) {
  const std::vector<float>& in = input_floats();
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::hif8_fake_quant(in.data(), out.data(), kN, {}, 0, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 8);
}
BENCHMARK(BM_Elementwise_Hif8FakeQuant)->Apply(threads_args);

// OCP FP8 through the same kind of kernel (float32 in, one byte out).
void BM_Elementwise_Fp8Encode(benchmark::State& state, int format) {
  const std::vector<float>& in = input_floats();
  std::vector<uint8_t> out(kN, 1);
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    if (format == 43) kernels::fp8_e4m3_encode(in.data(), out.data(), kN, E4M3Overflow::kSaturate, threads);
    else kernels::fp8_e5m2_encode(in.data(), out.data(), kN, E5M2Overflow::kInf, threads);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 5);
}
BENCHMARK_CAPTURE(BM_Elementwise_Fp8Encode, e4m3, 43)->Apply(threads_args);
BENCHMARK_CAPTURE(BM_Elementwise_Fp8Encode, e5m2, 52)->Apply(threads_args);

void BM_Elementwise_Fp8Decode(benchmark::State& state) {
  std::vector<uint8_t> codes(kN);
  kernels::fp8_e4m3_encode(input_floats().data(), codes.data(), kN, E4M3Overflow::kSaturate, 0);
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::fp8_e4m3_decode(codes.data(), out.data(), kN, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 5);
}
BENCHMARK(BM_Elementwise_Fp8Decode)->Apply(threads_args);

// The scalar reference loop (hif8.h element by element), one thread.
void BM_Elementwise_Hif8EncodeReference(benchmark::State& state) {
  const std::vector<float>& in = input_floats();
  std::vector<uint8_t> out(kN, 1);
  for (auto _ : state) {
    kernels::hif8_encode_reference(in.data(), out.data(), kN, Hif8Options{}, 0);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 5);
}
BENCHMARK(BM_Elementwise_Hif8EncodeReference)->Arg(1)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

// HiF8 float32 encode pinned to each SIMD target this CPU supports, one thread.
void BM_Elementwise_Hif8EncodePerTarget(benchmark::State& state) {
  const std::vector<int64_t> targets = kernels::available_targets();
  const size_t t = static_cast<size_t>(state.range(0));
  if (t >= targets.size()) {
    state.SkipWithError("no such target on this CPU");
    for (auto _ : state) {
    }
    return;
  }
  state.SetLabel(kernels::target_name(targets[t]));
  const kernels::ScopedTarget pin(targets[t]);
  const std::vector<float>& in = input_floats();
  std::vector<uint8_t> out(kN, 1);
  for (auto _ : state) {
    kernels::hif8_encode(in.data(), out.data(), kN, {}, 0, 1);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * 5));
}
BENCHMARK(BM_Elementwise_Hif8EncodePerTarget)->DenseRange(0, 4)->ArgName("target")->UseRealTime()->Unit(benchmark::kMillisecond);

// Baseline: memcpy of `bytes` bytes per element (16M elements), counting read + written bytes like the kernels.
void BM_Elementwise_Memcpy(benchmark::State& state) {
  const size_t bytes = kN * static_cast<size_t>(state.range(0));
  std::vector<uint8_t> src(bytes, 3), dst(bytes, 1);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes * 2));
}
// 4 bytes per element: the float32 side of an encode/decode; 5/2 bytes: the same total traffic as encode.
BENCHMARK(BM_Elementwise_Memcpy)->ArgName("bytes_per_element")->Arg(4)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hifloat
