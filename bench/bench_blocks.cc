// Block-format throughput (MX family, NVFP4): quantize float32 -> packed,
// dequantize, fused fake-quant, 16M float32 elements along the last axis,
// one thread and all threads, against memcpy of the float32 array.
// Items = elements; bytes = the float32 side only (4 per element), so
// bytes_per_second is "GB/s of float32 input (or output)".
//
//   ./build/hifloat_bench --benchmark_filter=Blocks
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hifloat/codec.h"
#include "kernels/fast_paths.h"

namespace hifloat {
namespace {

constexpr int64_t kRows = 4096, kCols = 4096;  // 16M elements, blocks along the last axis
constexpr size_t kN = static_cast<size_t>(kRows * kCols);
const Shape kShape{kRows, kCols};

const std::vector<float>& input_floats() {
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

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * sizeof(float)));
  state.counters["threads"] = static_cast<double>(state.range(0) == 0 ? std::thread::hardware_concurrency() : 1);
}

void threads_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads")->Arg(1)->Arg(0)->UseRealTime()->Unit(benchmark::kMillisecond);
}

ExecOptions exec_of(const benchmark::State& state) {
  ExecOptions e;
  e.threads = static_cast<int>(state.range(0));
  return e;
}

void BM_Blocks_Quantize(benchmark::State& state, const char* format) {
  const FormatSpec spec = parse_format(format);
  const std::vector<float>& in = input_floats();  // built before timing
  std::vector<uint8_t> out(make_codec(spec)->packed_bytes(kShape, 1), 1);
  const ExecOptions exec = exec_of(state);
  for (auto _ : state) {
    kernels::encode_fast(spec, in.data(), kShape, 1, out, exec);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void BM_Blocks_Dequantize(benchmark::State& state, const char* format) {
  const FormatSpec spec = parse_format(format);
  std::vector<uint8_t> packed(make_codec(spec)->packed_bytes(kShape, 1));
  kernels::encode_fast(spec, input_floats().data(), kShape, 1, packed, ExecOptions{0, false});
  std::vector<float> out(kN, 1.0f);
  const ExecOptions exec = exec_of(state);
  for (auto _ : state) {
    kernels::decode_fast(spec, packed, kShape, 1, out.data(), exec);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void BM_Blocks_FakeQuant(benchmark::State& state, const char* format) {
  const FormatSpec spec = parse_format(format);
  const std::vector<float>& in = input_floats();
  std::vector<float> out(kN, 1.0f);
  const ExecOptions exec = exec_of(state);
  for (auto _ : state) {
    kernels::fake_quant_fast(spec, in.data(), kShape, 1, out.data(), exec);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

#define HIFLOAT_BLOCK_BENCH(NAME, FORMAT)                                          \
  BENCHMARK_CAPTURE(BM_Blocks_Quantize, NAME, FORMAT)->Apply(threads_args);   \
  BENCHMARK_CAPTURE(BM_Blocks_Dequantize, NAME, FORMAT)->Apply(threads_args); \
  BENCHMARK_CAPTURE(BM_Blocks_FakeQuant, NAME, FORMAT)->Apply(threads_args);
HIFLOAT_BLOCK_BENCH(mxfp4, "mxfp4")
HIFLOAT_BLOCK_BENCH(mxfp8_e4m3, "mxfp8_e4m3")
HIFLOAT_BLOCK_BENCH(nvfp4, "nvfp4")
#undef HIFLOAT_BLOCK_BENCH

// The scalar reference Codec, one thread, for scale.
void BM_Blocks_QuantizeReference(benchmark::State& state, const char* format) {
  const auto codec = make_codec(format);
  const std::vector<float>& in = input_floats();
  std::vector<uint8_t> out(codec->packed_bytes(kShape, 1), 1);
  for (auto _ : state) {
    codec->quantize(in.data(), kShape, 1, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK_CAPTURE(BM_Blocks_QuantizeReference, mxfp4, "mxfp4")->Arg(1)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Blocks_QuantizeReference, nvfp4, "nvfp4")->Arg(1)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

// memcpy of the float32 array: the memory-bandwidth ceiling.
void BM_Blocks_Memcpy(benchmark::State& state) {
  const std::vector<float>& in = input_floats();
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), kN * sizeof(float));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * sizeof(float)));
}
BENCHMARK(BM_Blocks_Memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hifloat
