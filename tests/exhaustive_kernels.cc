// Every float32 bit pattern through the HiF8 and FP8 encode and fake-quant fast
// paths against the scalar references (include/hifloat/hif8.h, fp8.h), for
// every mode and overflow option, with the library's thread pool.
//
// Plan (2 cores in CI): inputs go in chunks of 2^24; per chunk and mode the
// reference codes are computed once and compared with the kernels: every
// input on the best SIMD target (and, for two HiF8 modes, on the portable
// fallback), a 1/67 strided subset on the other targets. The fake-quant
// result is compared with decode(reference code), which is how the reference
// defines it.
// Stochastic rounding: every target on 2^26 random inputs here; the full 2^32
// sweep for one seed is DISABLED_ (run with --gtest_also_run_disabled_tests).
//
//   ./build/tests/hifloat_exhaustive_tests --gtest_filter='KernelsExhaustive*'
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hifloat/fp8.h"
#include "hifloat/hif8.h"
#include "kernels/fp8_kernels.h"
#include "kernels/hif8_kernels.h"
#include "kernels/targets.h"
#include "kernels/thread_pool.h"

namespace hifloat {
namespace {

constexpr uint64_t kChunk = uint64_t{1} << 24;

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

template <Rounding R, Overflow O>
void reference_block(const float* in, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = hif8_encode(static_cast<double>(in[i]), R, O, 0);
}

// Reference codes of in[0..n) under (r, o), on all cores.
void reference_codes(Rounding r, Overflow o, const float* in, uint8_t* out, size_t n) {
  using Fn = void (*)(const float*, uint8_t*, size_t);
  Fn fn = nullptr;
  const bool inf = o == Overflow::kInf;
  switch (r) {
    case Rounding::kAway: fn = inf ? reference_block<Rounding::kAway, Overflow::kInf> : reference_block<Rounding::kAway, Overflow::kSaturate>; break;
    case Rounding::kEven: fn = inf ? reference_block<Rounding::kEven, Overflow::kInf> : reference_block<Rounding::kEven, Overflow::kSaturate>; break;
    case Rounding::kZero: fn = inf ? reference_block<Rounding::kZero, Overflow::kInf> : reference_block<Rounding::kZero, Overflow::kSaturate>; break;
    case Rounding::kStochastic: FAIL() << "deterministic modes only";
  }
  kernels::parallel_for(n, 0, [&](size_t b, size_t e) { fn(in + b, out + b, e - b); });
}

// Compares kernel codes and fake-quant values with the reference codes; adds
// at most a few failure messages, returns the number of mismatching elements.
uint64_t compare(const float* in, const uint8_t* want, const uint8_t* codes, const float* values, size_t n,
                 const std::string& what) {
  uint64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t want_value = std::bit_cast<uint32_t>(hif8_decode(want[i]));
    const uint32_t got_value = std::bit_cast<uint32_t>(values[i]);
    if (codes[i] != want[i] || got_value != want_value) {
      if (++bad <= 5) {
        ADD_FAILURE() << what << ": input " << hex(std::bit_cast<uint32_t>(in[i])) << " code " << hex(codes[i])
                      << " want " << hex(want[i]) << ", fake-quant " << hex(got_value) << " want " << hex(want_value);
      }
    }
  }
  return bad;
}

// Sweeps all 2^32 float32 patterns in chunks of 2^24. Per chunk the reference
// codes are computed once; `full(t)` targets are compared on every input, the
// others on a 1/67 strided subset of each chunk (every exponent, mantissa bits
// from top to bottom). encode(t_in, codes, values, n) runs the kernels;
// value_of(code) is the reference's decode. Prints where the time went.
template <typename Reference, typename Kernels, typename ValueOf, typename Full>
uint64_t sweep_float32(const std::string& label, Reference reference, Kernels kernels_run, ValueOf value_of,
                       Full full) {
  const std::vector<int64_t> targets = kernels::available_targets();
  constexpr size_t kStride = 67;
  std::vector<float> in(kChunk), values(kChunk), in_sub(kChunk / kStride + 1);
  std::vector<uint8_t> want(kChunk), codes(kChunk), want_sub(kChunk / kStride + 1);
  std::vector<double> seconds(targets.size(), 0.0);
  double reference_seconds = 0;
  uint64_t bad = 0;
  // On all cores; the first few mismatches are reported from the calling thread.
  const auto compare_all = [&](const float* x, const uint8_t* w, size_t n, const std::string& what) {
    std::atomic<uint64_t> mismatches{0};
    std::atomic<size_t> first{n};
    kernels::parallel_for(n, 0, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        if (codes[i] != w[i] || std::bit_cast<uint32_t>(values[i]) != value_of(w[i])) {
          ++mismatches;
          size_t f = first.load();
          while (i < f && !first.compare_exchange_weak(f, i)) {
          }
        }
      }
    });
    if (mismatches.load() == 0) return;
    bad += mismatches.load();
    for (size_t i = first.load(), shown = 0; i < n && shown < 5; ++i) {
      const uint32_t want_value = value_of(w[i]), got_value = std::bit_cast<uint32_t>(values[i]);
      if (codes[i] != w[i] || got_value != want_value) {
        ++shown;
        ADD_FAILURE() << what << ": input " << hex(std::bit_cast<uint32_t>(x[i])) << " code " << hex(codes[i])
                      << " want " << hex(w[i]) << ", fake-quant " << hex(got_value) << " want " << hex(want_value);
      }
    }
  };
  for (uint64_t start = 0; start < (uint64_t{1} << 32) && bad < 100; start += kChunk) {
    for (uint64_t i = 0; i < kChunk; ++i) in[i] = std::bit_cast<float>(static_cast<uint32_t>(start + i));
    auto t0 = std::chrono::steady_clock::now();
    reference(in.data(), want.data(), kChunk);
    reference_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    size_t n_sub = 0;
    for (size_t i = start / kChunk % kStride; i < kChunk; i += kStride, ++n_sub) {
      in_sub[n_sub] = in[i];
      want_sub[n_sub] = want[i];
    }
    for (size_t t = 0; t < targets.size(); ++t) {
      const kernels::ScopedTarget pin(targets[t]);
      const bool all = full(targets[t], t == 0, t + 1 == targets.size());
      const float* x = all ? in.data() : in_sub.data();
      const uint8_t* w = all ? want.data() : want_sub.data();
      const size_t n = all ? kChunk : n_sub;
      t0 = std::chrono::steady_clock::now();
      kernels_run(x, codes.data(), values.data(), n);
      seconds[t] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      compare_all(x, w, n, label + " on " + kernels::target_name(targets[t]) + (all ? "" : " (strided subset)"));
    }
  }
  std::printf("%s: reference %.1f s;", label.c_str(), reference_seconds);
  for (size_t t = 0; t < targets.size(); ++t) {
    std::printf(" %s %.1f s;", kernels::target_name(targets[t]).c_str(), seconds[t]);
  }
  std::printf(" (wall, all cores)\n");
  std::fflush(stdout);
  return bad;
}

struct Mode {
  Rounding rounding;
  Overflow overflow;
  const char* name;
};

// HiF8, every deterministic mode: every input on the best target; on the
// portable fallback for away/inf and even/saturate (the slowest target: the
// other modes share all of its code but the final selects); a 1/67 subset
// elsewhere. Every target also sees all 2^16 float16/bfloat16 inputs in
// test_kernels_hif8.cc.
TEST(KernelsExhaustive, HiF8Float32EncodeAndFakeQuant) {
  const Mode modes[] = {
      {Rounding::kAway, Overflow::kInf, "hif8 away/inf"},   {Rounding::kAway, Overflow::kSaturate, "hif8 away/saturate"},
      {Rounding::kEven, Overflow::kInf, "hif8 even/inf"},   {Rounding::kEven, Overflow::kSaturate, "hif8 even/saturate"},
      {Rounding::kZero, Overflow::kInf, "hif8 zero/inf"},   {Rounding::kZero, Overflow::kSaturate, "hif8 zero/saturate"},
  };
  for (const Mode& m : modes) {
    const Hif8Options opt{m.rounding, m.overflow, 0};
    const bool fallback_full = (m.rounding == Rounding::kAway && m.overflow == Overflow::kInf) ||
                               (m.rounding == Rounding::kEven && m.overflow == Overflow::kSaturate);
    const uint64_t bad = sweep_float32(
        m.name, [&](const float* x, uint8_t* w, size_t n) { reference_codes(m.rounding, m.overflow, x, w, n); },
        [&](const float* x, uint8_t* c, float* v, size_t n) {
          kernels::hif8_encode(x, c, n, opt, 0, 0);
          kernels::hif8_fake_quant(x, v, n, opt, 0, 0);
        },
        [](uint8_t c) { return std::bit_cast<uint32_t>(hif8_decode(c)); },
        [&](int64_t, bool best, bool fallback) { return best || (fallback && fallback_full); });
    EXPECT_EQ(bad, 0u) << m.name;
  }
}

// FP8 E4M3 and E5M2, both overflow options: every input on the best target, a
// 1/67 subset on the others.
TEST(KernelsExhaustive, Fp8Float32EncodeAndFakeQuant) {
  const auto best_only = [](int64_t, bool best, bool) { return best; };
  for (E4M3Overflow o : {E4M3Overflow::kSaturate, E4M3Overflow::kNaN}) {
    const std::string name = std::string("fp8_e4m3 overflow=") + (o == E4M3Overflow::kNaN ? "nan" : "saturate");
    const uint64_t bad = sweep_float32(
        name,
        [&](const float* x, uint8_t* w, size_t n) {
          kernels::parallel_for(n, 0, [&](size_t b, size_t e) { kernels::fp8_e4m3_encode_reference(x + b, w + b, e - b, o); });
        },
        [&](const float* x, uint8_t* c, float* v, size_t n) {
          kernels::fp8_e4m3_encode(x, c, n, o, 0);
          kernels::fp8_e4m3_fake_quant(x, v, n, o, 0);
        },
        [](uint8_t c) { return std::bit_cast<uint32_t>(fp8_e4m3_decode(c)); }, best_only);
    EXPECT_EQ(bad, 0u) << name;
  }
  for (E5M2Overflow o : {E5M2Overflow::kInf, E5M2Overflow::kSaturate}) {
    const std::string name = std::string("fp8_e5m2 overflow=") + (o == E5M2Overflow::kInf ? "inf" : "saturate");
    const uint64_t bad = sweep_float32(
        name,
        [&](const float* x, uint8_t* w, size_t n) {
          kernels::parallel_for(n, 0, [&](size_t b, size_t e) { kernels::fp8_e5m2_encode_reference(x + b, w + b, e - b, o); });
        },
        [&](const float* x, uint8_t* c, float* v, size_t n) {
          kernels::fp8_e5m2_encode(x, c, n, o, 0);
          kernels::fp8_e5m2_fake_quant(x, v, n, o, 0);
        },
        [](uint8_t c) { return std::bit_cast<uint32_t>(fp8_e5m2_decode(c)); }, best_only);
    EXPECT_EQ(bad, 0u) << name;
  }
}

// Stochastic rounding on 2^24 inputs (half random bit patterns, half in the
// HiF8 range) with two seeds, every target, 1 and 2 threads.
TEST(KernelsExhaustive, HiF8Float32StochasticLargeSampleEveryTarget) {
  constexpr size_t kN = size_t{1} << 24;
  std::vector<float> in(kN), values(kN);
  std::vector<uint8_t> want(kN), codes(kN);
  std::mt19937_64 rng(2024);
  for (size_t i = 0; i < kN; ++i) {
    const uint64_t r = rng();
    const uint32_t bits = (i & 1) ? static_cast<uint32_t>(r)
                                  : (static_cast<uint32_t>(r & 0x80000000u) |
                                     (static_cast<uint32_t>(127 - 26 + (r >> 40) % 44) << 23) |
                                     static_cast<uint32_t>((r >> 8) & 0x7FFFFFu));
    in[i] = std::bit_cast<float>(bits);
  }
  uint64_t bad = 0;
  for (uint64_t seed : {uint64_t{0x243F6A8885A308D3ull}, uint64_t{7}}) {
    for (Overflow o : {Overflow::kInf, Overflow::kSaturate}) {
      const Hif8Options opt{Rounding::kStochastic, o, seed};
      const uint64_t first = seed * 977;  // arbitrary, non-aligned flat index of element 0
      kernels::parallel_for(kN, 0, [&](size_t b, size_t e) {
        kernels::hif8_encode_reference(in.data() + b, want.data() + b, e - b, opt, first + b);
      });
      for (int64_t t : kernels::available_targets()) {
        const kernels::ScopedTarget pin(t);
        for (int threads : {1, 2}) {
          kernels::hif8_encode(in.data(), codes.data(), kN, opt, first, threads);
          kernels::hif8_fake_quant(in.data(), values.data(), kN, opt, first, threads);
          bad += compare(in.data(), want.data(), codes.data(), values.data(), kN,
                         kernels::target_name(t) + " stochastic seed " + std::to_string(seed) + " threads " +
                             std::to_string(threads));
        }
      }
    }
  }
  EXPECT_EQ(bad, 0u);
}

// The full 2^32 stochastic sweep for one seed on the dispatched target
// (minutes on 2 cores: the scalar reference computes Philox per element).
TEST(KernelsExhaustive, DISABLED_HiF8Float32StochasticEveryInputOneSeed) {
  std::vector<float> in(kChunk), values(kChunk);
  std::vector<uint8_t> want(kChunk), codes(kChunk);
  const Hif8Options opt{Rounding::kStochastic, Overflow::kInf, 12345};
  uint64_t bad = 0;
  for (uint64_t start = 0; start < (uint64_t{1} << 32) && bad < 100; start += kChunk) {
    for (uint64_t i = 0; i < kChunk; ++i) in[i] = std::bit_cast<float>(static_cast<uint32_t>(start + i));
    kernels::parallel_for(kChunk, 0, [&](size_t b, size_t e) {
      kernels::hif8_encode_reference(in.data() + b, want.data() + b, e - b, opt, start + b);
    });
    kernels::hif8_encode(in.data(), codes.data(), kChunk, opt, start, 0);
    kernels::hif8_fake_quant(in.data(), values.data(), kChunk, opt, start, 0);
    bad += compare(in.data(), want.data(), codes.data(), values.data(), kChunk, "stochastic seed 12345");
  }
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace hifloat
