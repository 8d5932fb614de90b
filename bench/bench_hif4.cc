// HiFloat4 family kernel throughput: quantize float32 -> packed units,
// dequantize, and fused fake-quant over 16M float32 (a 4096 x 4096 tensor),
// blocked along the last axis and along axis 0, one thread and all threads,
// against memcpy of the same bytes. Items = elements; bytes = bytes read +
// written (quantize: 4 + 36/64 per element).
//
//   ./build/hifloat_bench --benchmark_filter=Hif4
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/format.h"
#include "kernels/hif4_kernels.h"

#include "bench_data.h"

namespace hifloat {
namespace {

constexpr int64_t kRows = 4096, kCols = 4096;
constexpr size_t kN = bench::kElements;
static_assert(kRows * kCols == static_cast<int64_t>(kN));

const std::vector<float>& input_floats() { return bench::activations(); }

struct Params {
  int m = 3;
  kernels::Hif4Mode mode = kernels::Hif4Mode::kAway;
  uint64_t seed = 0;
};
// The benchmarks use seed 0 (the default) only.
Params params_of(const FormatSpec& spec) {
  Params p;
  p.m = spec.name == "hifx2" ? 1 : spec.name == "hifx3" ? 2 : spec.name == "hifx5" ? 4 : 3;
  const std::string& r = spec.option("rounding");
  p.mode = r == "even" ? kernels::Hif4Mode::kEven : r == "stochastic" ? kernels::Hif4Mode::kStochastic
                                                                       : kernels::Hif4Mode::kAway;
  return p;
}

int threads_of(const benchmark::State& state) { return static_cast<int>(state.range(0)); }

void set_counters(benchmark::State& state, double bytes_per_element) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
  state.SetBytesProcessed(static_cast<int64_t>(static_cast<double>(state.iterations() * kN) * bytes_per_element));
  state.counters["threads"] =
      static_cast<double>(state.range(0) == 0 ? std::thread::hardware_concurrency() : state.range(0));
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "axis"});
  for (int axis : {1, 0}) {
    for (int threads : {1, 2}) b->Args({threads, axis});
  }
  b->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
}

const Shape kShape = {kRows, kCols};
constexpr double kPackedPerElement = 36.0 / 64.0;

void BM_Hif4_Quantize(benchmark::State& state, const char* format) {
  const std::vector<float>& x = input_floats();
  const FormatSpec spec = parse_format(format);
  const Params p = params_of(spec);
  const LineGeometry g(kShape, static_cast<int>(state.range(1)));
  std::vector<uint8_t> out(make_codec(spec)->packed_bytes(kShape, static_cast<int>(state.range(1))), 1);
  for (auto _ : state) {
    kernels::hif4_encode(p.m, p.mode, p.seed, x.data(), g, out.data(), threads_of(state));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, 4.0 + kPackedPerElement);
}
BENCHMARK_CAPTURE(BM_Hif4_Quantize, away, "hif4")->Apply(args);
BENCHMARK_CAPTURE(BM_Hif4_Quantize, even, "hif4:rounding=even")->Apply(args);
BENCHMARK_CAPTURE(BM_Hif4_Quantize, stochastic, "hif4:rounding=stochastic")->Apply(args);

void BM_Hif4_Dequantize(benchmark::State& state) {
  const std::vector<float>& x = input_floats();
  const FormatSpec spec = parse_format("hif4");
  const LineGeometry g(kShape, static_cast<int>(state.range(1)));
  std::vector<uint8_t> packed(make_codec(spec)->packed_bytes(kShape, static_cast<int>(state.range(1))));
  kernels::hif4_encode(3, kernels::Hif4Mode::kAway, 0, x.data(), g, packed.data(), 0);
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::hif4_decode(3, packed.data(), g, out.data(), threads_of(state));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, 4.0 + kPackedPerElement);
}
BENCHMARK(BM_Hif4_Dequantize)->Apply(args);

void BM_Hif4_FakeQuant(benchmark::State& state, const char* format) {
  const std::vector<float>& x = input_floats();
  const Params p = params_of(parse_format(format));
  const LineGeometry g(kShape, static_cast<int>(state.range(1)));
  std::vector<float> out(kN, 1.0f);
  for (auto _ : state) {
    kernels::hif4_fake_quant(p.m, p.mode, p.seed, x.data(), g, out.data(), threads_of(state));
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, 8.0);
}
BENCHMARK_CAPTURE(BM_Hif4_FakeQuant, away, "hif4")->Apply(args);
BENCHMARK_CAPTURE(BM_Hif4_FakeQuant, hifx5_away, "hifx5")->Apply(args);

// The scalar reference codec, for scale (one thread, last axis).
void BM_Hif4_QuantizeReference(benchmark::State& state) {
  const std::vector<float>& x = input_floats();
  const auto codec = make_codec("hif4");
  std::vector<uint8_t> out(codec->packed_bytes(kShape, 1));
  for (auto _ : state) {
    codec->quantize(x.data(), kShape, 1, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
}
BENCHMARK(BM_Hif4_QuantizeReference)->UseRealTime()->Unit(benchmark::kMillisecond);

// memcpy of what quantize moves (64 MiB read + 36 MiB written) and of what
// fake-quant moves (64 MiB read + 64 MiB written).
void BM_Hif4_Memcpy(benchmark::State& state) {
  const std::vector<float>& x = input_floats();
  const bool fake = state.range(0) == 1;
  std::vector<uint8_t> dst(fake ? kN * 4 : static_cast<size_t>(static_cast<double>(kN) * kPackedPerElement), 1);
  for (auto _ : state) {
    if (fake) {
      std::memcpy(dst.data(), x.data(), kN * 4);
    } else {
      // Read everything, write 36/64 of it: copy the first part and read the rest.
      std::memcpy(dst.data(), x.data(), dst.size());
      const float* rest = x.data() + dst.size() / 4;
      float acc = 0.0f;
      for (size_t i = 0; i < kN - dst.size() / 4; i += 16) acc += rest[i];
      benchmark::DoNotOptimize(acc);
    }
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(static_cast<double>(state.iterations() * kN) *
                                               (fake ? 8.0 : 4.0 + kPackedPerElement)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kN));
}
BENCHMARK(BM_Hif4_Memcpy)->ArgName("like_fake_quant")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hifloat
