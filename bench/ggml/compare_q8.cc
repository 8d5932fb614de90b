// hifloat's HiF4 × int8-activation product (docs/matmul.md §7) against
// llama.cpp/ggml's MXFP4 × Q8_0 vec_dot, the kernel the issue names as the bar,
// timed in one process on the same shapes (M = 1, 1 thread). Both sides
// quantise the activation row once per call and then take N dot products of
// length K, as llama.cpp does for a matrix-vector product. Built and run by
// bench/compare_ggml_q8.sh, which fetches ggml's source from PyPI.
//
// Printed per shape: ns per call (median of interleaved rounds), TSC ticks per
// 32 multiply-adds, the ratio ggml / hifloat (> 1: hifloat faster), and the
// relative error of each output against the float64 product of the
// unquantised operands (a sanity check that both computed the product).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "../bench_data.h"
#include "../tsc_clock.h"
#include "ggml-cpu.h"
#include "ggml.h"
#include "hifloat/codec.h"
#include "hifloat/format.h"
#include "hifloat/matmul.h"

namespace {

using hifloat::bench::gaussian;

// Mean ns per call over one round of `calls_per_round` calls.
template <typename Fn>
double ns_per_call(Fn fn, int calls_per_round) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls_per_round; ++i) fn();
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / calls_per_round;
}

double rel_error(const std::vector<float>& got, const std::vector<double>& want) {
  double ee = 0, ww = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ee += (got[i] - want[i]) * (got[i] - want[i]);
    ww += want[i] * want[i];
  }
  return std::sqrt(ee / ww);
}

void compare(int64_t n, int64_t k, double tsc) {
  const std::vector<float> w = gaussian(static_cast<size_t>(n * k), 1), a = gaussian(static_cast<size_t>(k), 2);
  std::vector<double> exact(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    double s = 0;
    for (int64_t i = 0; i < k; ++i) s += static_cast<double>(w[j * k + i]) * a[i];
    exact[j] = s;
  }

  // ggml: MXFP4 weights (32-value blocks, E8M0 scale), Q8_0 activations.
  const size_t w_row = ggml_row_size(GGML_TYPE_MXFP4, k);
  std::vector<uint8_t> wq(w_row * static_cast<size_t>(n));
  ggml_quantize_chunk(GGML_TYPE_MXFP4, w.data(), wq.data(), 0, n, k, nullptr);
  const ggml_type_traits_cpu* wt = ggml_get_type_traits_cpu(GGML_TYPE_MXFP4);
  const ggml_type_traits_cpu* at = ggml_get_type_traits_cpu(wt->vec_dot_type);
  std::vector<uint8_t> aq(ggml_row_size(wt->vec_dot_type, k));
  std::vector<float> c_ggml(static_cast<size_t>(n));
  const auto run_ggml = [&] {
    at->from_float(a.data(), aq.data(), k);
    for (int64_t j = 0; j < n; ++j) {
      wt->vec_dot(static_cast<int>(k), &c_ggml[static_cast<size_t>(j)], 0, wq.data() + static_cast<size_t>(j) * w_row,
                  0, aq.data(), 0, 1);
    }
  };

  // hifloat: HiF4 weights (64-value units), int8 activations per 64 values.
  const hifloat::Packed wh = hifloat::encode(hifloat::parse_format("hif4"), w.data(), {n, k}, 1);
  std::vector<float> c_q8(static_cast<size_t>(n)), c_f32(static_cast<size_t>(n));
  hifloat::MatmulOptions opt;
  opt.threads = 1;
  const auto run_q8 = [&] { hifloat::linear_q8(a.data(), 1, k, wh, c_q8.data(), opt); };
  const auto run_f32 = [&] { hifloat::linear(a.data(), 1, k, wh, c_f32.data(), opt); };

  // Calls per round: ~20 ms of work at ~2 ns per 32 values.
  const int calls = static_cast<int>(std::max<int64_t>(8, 20'000'000 / std::max<int64_t>(1, n * k / 16)));
  std::vector<double> tg, tq, tf;
  for (int r = 0; r < 15; ++r) {  // interleaved, so load changes hit all three alike
    tg.push_back(ns_per_call(run_ggml, calls));
    tq.push_back(ns_per_call(run_q8, calls));
    tf.push_back(ns_per_call(run_f32, calls));
  }
  const auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double g = median(tg), q = median(tq), f = median(tf);
  const double units32 = static_cast<double>(n * k) / 32.0;
  std::printf("%6lld x %-6lld  %10.1f %10.1f %10.1f   %6.2f %6.2f %6.2f   %6.2fx %6.2fx   %.4f %.4f %.4f\n",
              static_cast<long long>(n), static_cast<long long>(k), g / 1e3, q / 1e3, f / 1e3, g * tsc / units32,
              q * tsc / units32, f * tsc / units32, g / q, g / f, rel_error(c_ggml, exact), rel_error(c_q8, exact),
              rel_error(c_f32, exact));
}

}  // namespace

int main() {
  ggml_cpu_init();
  const double tsc = hifloat::bench::tsc_per_ns();
  std::printf("M = 1, 1 thread; TSC %.2f GHz; times are medians of 15 interleaved rounds\n", tsc);
  std::printf("%15s  %32s   %20s   %15s   %20s\n", "N x K", "us per call: ggml  hif4-q8  hif4-f32",
              "TSC/32: ggml q8 f32", "ggml/q8 ggml/f32", "rel err: ggml q8 f32");
  for (const auto& [n, k] : {std::pair<int64_t, int64_t>{64, 4096}, {256, 4096}, {1024, 4096}, {4096, 4096}}) {
    compare(n, k, tsc);
  }
  return 0;
}
