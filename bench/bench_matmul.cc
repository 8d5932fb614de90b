// Matmul benchmarks (docs/performance.md "Matmul"): packed HiF4 GEMV/GEMM against
// OpenBLAS sgemv/sgemm and memcpy of the packed bytes, in the same run. OpenBLAS
// gets the same thread count as the hifloat row (openblas_set_num_threads).
// "CPU" is the calling thread's CPU time (for 2-thread rows: one of the two).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_data.h"
#include "hifloat/codec.h"
#include "hifloat/matmul.h"
#include "kernels/targets.h"

#ifdef HIFLOAT_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace {

using hifloat::Packed;
using hifloat::bench::gaussian;
using hifloat::bench::random_hif4_weights;

// args: N, K, threads
void BM_GemvHif4(benchmark::State& st) {
  const int64_t n = st.range(0), k = st.range(1);
  const Packed w = random_hif4_weights(n, k, 1);
  const auto a = gaussian(static_cast<size_t>(k), 2);
  std::vector<float> c(static_cast<size_t>(n));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(2));
  for (auto _ : st) {
    hifloat::linear(a.data(), 1, k, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * w.data.size()));
}
BENCHMARK(BM_GemvHif4)->Args({4096, 4096, 1})->Args({4096, 4096, 2})->Args({11008, 4096, 1})->Args({11008, 4096, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// The same GEMV with dispatch pinned to Highway's AVX2 target (CPUs without
// AVX-512: Intel client parts, AMD Zen 2/3). Compare with OpenBLAS sgemv on
// its AVX2 kernels: run the process with OPENBLAS_CORETYPE=Haswell.
// args: N, K, threads
void BM_GemvHif4Avx2(benchmark::State& st) {
  int64_t avx2 = -1;
  for (int64_t t : hifloat::kernels::available_targets())
    if (hifloat::kernels::target_name(t) == "AVX2") avx2 = t;
  if (avx2 < 0) {
    st.SkipWithError("this CPU has no AVX2 target");
    for (auto _ : st) {
    }
    return;
  }
  const hifloat::kernels::ScopedTarget pin(avx2);
  st.SetLabel(hifloat::kernels::target_name(hifloat::kernels::active_target()));
  BM_GemvHif4(st);
}
BENCHMARK(BM_GemvHif4Avx2)->Args({4096, 4096, 1})->Args({4096, 4096, 2})->Args({11008, 4096, 1})->Args({11008, 4096, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// Small batches (M rows of activations) on the same kernel: args M, N, K, threads.
void BM_GemvHif4Batch(benchmark::State& st) {
  const int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  const Packed w = random_hif4_weights(n, k, 1);
  const auto a = gaussian(static_cast<size_t>(m * k), 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(3));
  for (auto _ : st) {
    hifloat::linear(a.data(), m, k, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * w.data.size()));
}
BENCHMARK(BM_GemvHif4Batch)->Args({4, 4096, 4096, 1})->Args({8, 4096, 4096, 1})->Args({16, 4096, 4096, 1})->Args({17, 4096, 4096, 1})->Args({64, 4096, 4096, 1})->Args({96, 4096, 4096, 1})->Args({128, 4096, 4096, 1})->Args({256, 4096, 4096, 1})->Args({1024, 4096, 4096, 1})->Args({2048, 2048, 2048, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_MemcpyPackedBytes(benchmark::State& st) {
  const size_t bytes = static_cast<size_t>(st.range(0) * st.range(1) / 64 * 36);
  std::vector<uint8_t> src(bytes, 1), dst(bytes);
  for (auto _ : st) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * bytes));
}
BENCHMARK(BM_MemcpyPackedBytes)->Args({4096, 4096})->Args({11008, 4096})->Unit(benchmark::kMicrosecond)->UseRealTime();

// args: M (= N = K), threads
void BM_GemmHif4Dense(benchmark::State& st) {
  const int64_t s = st.range(0);
  const Packed w = random_hif4_weights(s, s, 3);
  const auto a = gaussian(static_cast<size_t>(s * s), 4);
  std::vector<float> c(static_cast<size_t>(s * s));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(1));
  for (auto _ : st) {
    hifloat::linear(a.data(), s, s, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOPS"] = benchmark::Counter(2.0 * s * s * s, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GemmHif4Dense)->Args({512, 1})->Args({1024, 1})->Args({2048, 1})->Args({2048, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// Dense fp32 activations × 4096×4096 weights of each format quantised from
// Gaussian floats, accumulation fp32: the panel path (M < 8, or the GEMV
// kernel for hif4), the lane-major GEMM (M ≥ 8, weights decoded and packed
// per call). args: format index (kWeightFormats), M, threads.
const char* const kWeightFormats[] = {"hif4", "hif8", "nvfp4", "mxfp4", "mxfp8_e4m3", "int4", "int8", "fp8_e4m3"};

void BM_DenseWeightFormats(benchmark::State& st) {
  const char* format = kWeightFormats[st.range(0)];
  const int64_t m = st.range(1), n = 4096, k = 4096;
  const auto x = gaussian(static_cast<size_t>(n * k), 21);
  const Packed w = hifloat::encode(hifloat::parse_format(format), x.data(), {n, k}, 1);
  const auto a = gaussian(static_cast<size_t>(m * k), 22);
  std::vector<float> c(static_cast<size_t>(m * n));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(2));
  st.SetLabel(format);
  for (auto _ : st) {
    hifloat::linear(a.data(), m, k, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["weights/s"] = benchmark::Counter(static_cast<double>(n * k), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DenseWeightFormats)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7}, {1, 16, 64}, {1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_GemmHif4Packed(benchmark::State& st) {
  const int64_t s = st.range(0);
  const Packed a = random_hif4_weights(s, s, 5), w = random_hif4_weights(s, s, 6);
  std::vector<float> c(static_cast<size_t>(s * s));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(1));
  for (auto _ : st) {
    hifloat::linear(a, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOPS"] = benchmark::Counter(2.0 * s * s * s, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GemmHif4Packed)->Args({512, 1})->Args({2048, 1})->Args({2048, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// HiF8 operands quantised from Gaussian floats (the fp64 fast path of
// matmul_hif8_packed.cc). args: M (= N = K), threads, accumulation.
Packed gaussian_hif8(int64_t rows, int64_t k, uint64_t seed) {
  const auto x = gaussian(static_cast<size_t>(rows * k), seed);
  return hifloat::encode(hifloat::parse_format("hif8"), x.data(), {rows, k}, 1);
}

void BM_GemmHif8Packed(benchmark::State& st) {
  const int64_t s = st.range(0);
  const Packed a = gaussian_hif8(s, s, 11), w = gaussian_hif8(s, s, 12);
  std::vector<float> c(static_cast<size_t>(s * s));
  hifloat::MatmulOptions opt;
  opt.threads = static_cast<int>(st.range(1));
  opt.accumulation = static_cast<hifloat::Accumulation>(st.range(2));
  st.SetLabel(std::string(hifloat::accumulation_name(opt.accumulation)));
  for (auto _ : st) {
    hifloat::linear(a, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOPS"] = benchmark::Counter(2.0 * s * s * s, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GemmHif8Packed)
    ->Args({1024, 1, static_cast<int>(hifloat::Accumulation::kFp32)})
    ->Args({1024, 1, static_cast<int>(hifloat::Accumulation::kExact)})
    ->Args({1024, 1, static_cast<int>(hifloat::Accumulation::kFp32Truncate)})
    ->Args({2048, 1, static_cast<int>(hifloat::Accumulation::kFp32)})
    ->Args({2048, 2, static_cast<int>(hifloat::Accumulation::kFp32)})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Dense Gaussian activations × packed weights in exact / fp32_trunc
// (matmul_dense_blocksum.cc), and the scalar reference (reference = 1) on a
// few rows for the before/after comparison. args: M, N, K, accumulation,
// weights (0 = hif4 random units, 1 = hif8 quantised Gaussian), reference, threads.
void BM_DenseModes(benchmark::State& st) {
  const int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  const Packed w = st.range(4) == 0 ? random_hif4_weights(n, k, 13) : gaussian_hif8(n, k, 14);
  const auto a = gaussian(static_cast<size_t>(m * k), 15);
  std::vector<float> c(static_cast<size_t>(m * n));
  hifloat::MatmulOptions opt;
  opt.accumulation = static_cast<hifloat::Accumulation>(st.range(3));
  opt.reference = st.range(5) != 0;
  opt.threads = static_cast<int>(st.range(6));
  st.SetLabel(std::string(st.range(4) == 0 ? "hif4 " : "hif8 ") + std::string(hifloat::accumulation_name(opt.accumulation)) +
              (opt.reference ? " reference" : ""));
  for (auto _ : st) {
    hifloat::linear(a.data(), m, k, w, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOPS"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate);
}
void DenseModesArgs(benchmark::internal::Benchmark* b) {
  constexpr int kExact = static_cast<int>(hifloat::Accumulation::kExact);
  constexpr int kTrunc = static_cast<int>(hifloat::Accumulation::kFp32Truncate);
  for (int acc : {kExact, kTrunc}) {
    for (int fmt : {0, 1}) {
      b->Args({512, 4096, 4096, acc, fmt, 0, 1});
      b->Args({512, 4096, 4096, acc, fmt, 0, 2});
      b->Args({1, 4096, 4096, acc, fmt, 0, 1});
      b->Args({1, 4096, 4096, acc, fmt, 1, 1});  // reference
      b->Args({8, 4096, 4096, acc, fmt, 1, 1});  // reference (scales with M)
    }
  }
}
BENCHMARK(BM_DenseModes)->Apply(DenseModesArgs)->Unit(benchmark::kMillisecond)->UseRealTime();

#ifdef HIFLOAT_HAVE_OPENBLAS
void BM_OpenBlasSgemv(benchmark::State& st) {
  const int64_t n = st.range(0), k = st.range(1);
  openblas_set_num_threads(static_cast<int>(st.range(2)));
  const auto w = gaussian(static_cast<size_t>(n * k), 7), a = gaussian(static_cast<size_t>(k), 8);
  std::vector<float> c(static_cast<size_t>(n));
  for (auto _ : st) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(k), 1.0f, w.data(),
                static_cast<int>(k), a.data(), 1, 0.0f, c.data(), 1);
    benchmark::DoNotOptimize(c.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * n * k * 4));
}
BENCHMARK(BM_OpenBlasSgemv)->Args({4096, 4096, 1})->Args({4096, 4096, 2})->Args({11008, 4096, 1})->Args({11008, 4096, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// Paired comparison: each iteration runs hifloat's GEMV (packed HiF4 weights)
// and OpenBLAS sgemv (the same shape in fp32) back to back, so both see the
// same machine state (this VM's speed drifts by ±15 % over seconds). Counters:
// medians of the per-call times and the median of the per-iteration ratios.
// args: N, K, threads
void BM_GemvHif4VsSgemv(benchmark::State& st) {
  const int64_t n = st.range(0), k = st.range(1);
  const int threads = static_cast<int>(st.range(2));
  openblas_set_num_threads(threads);
  const Packed wq = random_hif4_weights(n, k, 1);
  const auto w = gaussian(static_cast<size_t>(n * k), 7), a = gaussian(static_cast<size_t>(k), 8);
  std::vector<float> c(static_cast<size_t>(n));
  hifloat::MatmulOptions opt;
  opt.threads = threads;
  std::vector<double> ours, blas, ratio;
  using Clock = std::chrono::steady_clock;
  for (auto _ : st) {
    const auto t0 = Clock::now();
    hifloat::linear(a.data(), 1, k, wq, c.data(), opt);
    benchmark::DoNotOptimize(c.data());
    const auto t1 = Clock::now();
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(k), 1.0f, w.data(),
                static_cast<int>(k), a.data(), 1, 0.0f, c.data(), 1);
    benchmark::DoNotOptimize(c.data());
    const auto t2 = Clock::now();
    ours.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    blas.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    ratio.push_back(blas.back() / ours.back());
  }
  const auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  if (!ours.empty()) {
    st.counters["hifloat_us"] = median(ours);
    st.counters["sgemv_us"] = median(blas);
    st.counters["speedup"] = median(ratio);
  }
}
// One thread only: after a call OpenBLAS's threads spin for a while, which
// would take the second core from hifloat's worker in a 2-thread pairing.
BENCHMARK(BM_GemvHif4VsSgemv)->Args({4096, 4096, 1})->Args({11008, 4096, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(2.0);

void BM_OpenBlasSgemm(benchmark::State& st) {
  const int64_t s = st.range(0);
  openblas_set_num_threads(static_cast<int>(st.range(1)));
  const auto a = gaussian(static_cast<size_t>(s * s), 9), b = gaussian(static_cast<size_t>(s * s), 10);
  std::vector<float> c(static_cast<size_t>(s * s));
  const int si = static_cast<int>(s);
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, si, si, si, 1.0f, a.data(), si, b.data(), si, 0.0f, c.data(), si);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOPS"] = benchmark::Counter(2.0 * s * s * s, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_OpenBlasSgemm)->Args({512, 1})->Args({1024, 1})->Args({2048, 1})->Args({2048, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace
