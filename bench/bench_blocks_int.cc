// int8 / int4 throughput: quantise float32 -> packed, dequantise packed ->
// float32 and fused fake-quant over 16M float32 (a 4096 x 4096 tensor,
// blocks along axis 1 = last, or axis 0 = strided),
// one thread and all threads, through the same fast-path entry points as
// hifloat::encode / decode / fake_quant (no output allocation timed).
// Items = elements; bytes = float32 bytes (4 per element: the input of a
// quantise, the output of a dequantise, the input of a fake-quant), so
// "GB/s of float32" reads off directly; BM_BlocksInt_Memcpy (bench_blocks.cc)
// is the baseline.
//
//   ./build/hifloat_bench --benchmark_filter=BlocksInt
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hifloat/codec.h"
#include "kernels/fast_paths.h"

#include "bench_data.h"

namespace hifloat {
namespace {

constexpr int64_t kSide = 4096;
constexpr size_t kN = bench::kElements;  // 16M elements, 64 MiB of float32
static_assert(kSide * kSide == static_cast<int64_t>(kN));

const std::vector<float>& input_floats() { return bench::activations(); }

const Shape kShape = {kSide, kSide};

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kN * 4));
  state.counters["threads"] = static_cast<double>(state.range(1) == 0 ? std::thread::hardware_concurrency() : 1);
}

// range(0): axis; range(1): threads (1, or 0 = all).
void BM_BlocksInt_Quantize(benchmark::State& state, const char* format) {
  input_floats();  // generated outside the timed loop
  const FormatSpec f = parse_format(format);
  const int axis = static_cast<int>(state.range(0));
  const ExecOptions exec{static_cast<int>(state.range(1)), false};
  std::vector<uint8_t> out(make_codec(f)->packed_bytes(kShape, axis), 1);
  for (auto _ : state) {
    kernels::encode_fast(f, input_floats().data(), kShape, axis, out, exec);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void BM_BlocksInt_Dequantize(benchmark::State& state, const char* format) {
  input_floats();  // generated outside the timed loop
  const FormatSpec f = parse_format(format);
  const int axis = static_cast<int>(state.range(0));
  const ExecOptions exec{static_cast<int>(state.range(1)), false};
  std::vector<uint8_t> packed(make_codec(f)->packed_bytes(kShape, axis));
  kernels::encode_fast(f, input_floats().data(), kShape, axis, packed, {0, false});
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::decode_fast(f, packed, kShape, axis, out.data(), exec);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void BM_BlocksInt_FakeQuant(benchmark::State& state, const char* format) {
  input_floats();  // generated outside the timed loop
  const FormatSpec f = parse_format(format);
  const int axis = static_cast<int>(state.range(0));
  const ExecOptions exec{static_cast<int>(state.range(1)), false};
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::fake_quant_fast(f, input_floats().data(), kShape, axis, out.data(), exec);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

// The scalar reference codec (src/formats/), one thread, axis last: the speed-up baseline.
void BM_BlocksInt_QuantizeReference(benchmark::State& state, const char* format) {
  const FormatSpec f = parse_format(format);
  const auto codec = make_codec(f);
  std::vector<uint8_t> out(codec->packed_bytes(kShape, 1), 1);
  for (auto _ : state) {
    codec->quantize(input_floats().data(), kShape, 1, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"axis", "threads"});
  for (int axis : {1, 0}) {
    for (int threads : {1, 0}) b->Args({axis, threads});
  }
  b->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
}

#define HIFLOAT_BLOCK_BENCH(NAME, FORMAT)                                          \
  BENCHMARK_CAPTURE(BM_BlocksInt_Quantize, NAME, FORMAT)->Apply(args);                \
  BENCHMARK_CAPTURE(BM_BlocksInt_Dequantize, NAME, FORMAT)->Apply(args);              \
  BENCHMARK_CAPTURE(BM_BlocksInt_FakeQuant, NAME, FORMAT)->Apply(args);               \
  BENCHMARK_CAPTURE(BM_BlocksInt_QuantizeReference, NAME, FORMAT)                     \
      ->Args({1, 1})                                                               \
      ->ArgNames({"axis", "threads"})                                              \
      ->UseRealTime()                                                              \
      ->Unit(benchmark::kMillisecond);
HIFLOAT_BLOCK_BENCH(int8, "int8")
HIFLOAT_BLOCK_BENCH(int4_g32, "int4:group=32")
#undef HIFLOAT_BLOCK_BENCH

}  // namespace
}  // namespace hifloat
