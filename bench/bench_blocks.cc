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
#include "kernels/block_kernels.h"
#include "kernels/fast_paths.h"
#include "kernels/thread_pool.h"

#include "bench_data.h"

namespace hifloat {
namespace {

constexpr int64_t kRows = 4096, kCols = 4096;  // 16M elements, blocks along the last axis
constexpr size_t kN = bench::kElements;
static_assert(kRows * kCols == static_cast<int64_t>(kN));
const Shape kShape{kRows, kCols};

const std::vector<float>& input_floats() { return bench::activations(); }

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * sizeof(float)));
  state.counters["threads"] = static_cast<double>(state.range(0) == 0 ? std::thread::hardware_concurrency() : 1);
}

void threads_args(benchmark::internal::Benchmark* b) {
  // CPU time: of the whole process (all threads), so it stays meaningful with
  // 2 threads and on a loaded machine.
  b->ArgName("threads")->Arg(1)->Arg(0)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
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
HIFLOAT_BLOCK_BENCH(nvfp4_off, "nvfp4:tensor_scale=off")
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

// memcpy of the float32 array: the memory-bandwidth ceiling, on one thread and
// on all threads (each copies a contiguous part, split as the kernels split).
// bytes_per_second counts the float32 side once (64 MiB), like the kernels
// above; memcpy moves twice that (read + write).
void BM_Blocks_Memcpy(benchmark::State& state) {
  const std::vector<float>& in = input_floats();
  std::vector<float> out(kN, 1.0f);
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    kernels::parallel_for(kN, threads, [&](size_t b, size_t e) {
      std::memcpy(out.data() + b, in.data() + b, (e - b) * sizeof(float));
    });
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Blocks_Memcpy)->Apply(threads_args);

// A pure read of the float32 array (NVFP4's tensor amax pass alone, through
// the kernel's tensor-wide header pass): the read-bandwidth ceiling.
void BM_Blocks_Nvfp4TensorAmax(benchmark::State& state) {
  const std::vector<float>& in = input_floats();
  const auto kernel = kernels::make_nvfp4_kernel(parse_format("nvfp4"));
  uint8_t header[4];
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    kernel->encode_header(in.data(), kN, header, threads);
    benchmark::DoNotOptimize(header);
  }
  set_counters(state);
}
BENCHMARK(BM_Blocks_Nvfp4TensorAmax)->Apply(threads_args);

}  // namespace
}  // namespace hifloat
