// HiF4 weights × int8-quantised activations (docs/matmul.md §7): the
// activation quantiser, the scalar reference, and the API entry points.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/matmul_operands.h"
#include "hifloat/error.h"
#include "hifloat/matmul.h"
#include "kernels/matmul_kernels.h"

namespace hifloat {

// docs/matmul.md §7 "Activation quantisation": per 64-value block, d = fp32(amax/127) and
// q = clamp(rne(fp32(a/d)), -127, 127); a non-finite block gets d = NaN, q = 0.
// The public quantize_activations_q8 runs the SIMD version (kernels/quantize_q8.cc).
void reference_quantize_activations_q8(const float* a, int64_t k, int8_t* q, float* d) {
  const int64_t blocks = (k + kQ8Block - 1) / kQ8Block;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t start = b * kQ8Block, len = std::min(kQ8Block, k - start);
    int8_t* qb = q + start;
    std::fill_n(qb, kQ8Block, int8_t{0});
    float amax = 0.0f;
    bool finite = true;
    for (int64_t i = 0; i < len; ++i) {
      finite = finite && std::isfinite(a[start + i]);
      amax = std::max(amax, std::fabs(a[start + i]));
    }
    if (!finite) {
      d[b] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const float db = amax / 127.0f;
    d[b] = db;
    if (db == 0.0f) continue;
    // rne(r) clamped to ±127 equals rne of r clamped to ±128 clamped again;
    // for |r| ≤ 128, (r + 1.5·2^23) − 1.5·2^23 is rne(r) in fp32 (no libm
    // call, so the loop vectorises; -ffp-contract=off keeps the two adds).
    constexpr float kRound = 12582912.0f;  // 1.5 · 2^23
    for (int64_t i = 0; i < len; ++i) {
      const float r = std::clamp(a[start + i] / db, -128.0f, 128.0f);
      const float rounded = (r + kRound) - kRound;
      qb[i] = static_cast<int8_t>(std::clamp(rounded, -127.0f, 127.0f));
    }
  }
}

// docs/matmul.md §7 "Dot product", from decoded values: the unit's exact sum Σ q·x̂ is I·S/4
// (x̂ = w·S/4 with integer w), computed exactly in double, so I = sum / (S/4).
void reference_linear_q8(const float* a, int64_t m, const PackedLines& w, float* c) {
  const int64_t k = w.k, units = w.blocks_per_row;
  std::vector<int8_t> q(static_cast<size_t>(units * kQ8Block));
  std::vector<float> d(static_cast<size_t>(units));
  float xhat[64];
  for (int64_t i = 0; i < m; ++i) {
    reference_quantize_activations_q8(a + i * k, k, q.data(), d.data());
    for (int64_t n = 0; n < w.rows; ++n) {
      float acc = 0.0f;
      for (int64_t u = 0; u < units; ++u) {
        const uint8_t* unit = w.record(n, u);
        hif4_reference_decode_unit(unit, xhat);
        const uint8_t code = unit[0];  // HIF4.md §3.1: E6M2, 0xFF = NaN unit
        const float s4 = code == 0xFF ? std::numeric_limits<float>::quiet_NaN()
                                      : std::ldexp(1.0f + static_cast<float>(code & 3) / 4.0f, (code >> 2) - 48 - 2);
        double sum = 0.0;
        for (int j = 0; j < 64; ++j) sum += q[static_cast<size_t>(u * 64 + j)] * static_cast<double>(xhat[j]);
        const double integer = sum / static_cast<double>(s4);  // exact: |I| < 2^18
        const float ds = d[static_cast<size_t>(u)] * s4;
        const float U = static_cast<float>(integer) * ds;
        acc = acc + U;
      }
      c[i * w.rows + n] = acc;
    }
  }
}

void quantize_activations_q8(const float* a, int64_t k, int8_t* q, float* d) {
  kernels::quantize_activations_q8(a, k, q, d);
}

namespace {

void run_q8(const float* a, int64_t m, int64_t k, const PackedLines& w, float* c, const MatmulOptions& opt) {
  if (w.packed.format.name != "hif4") {
    throw Error("matmul_q8: packed " + w.what + " must be hif4 (int8-activation products are defined for HiF4 weights), got " +
                w.packed.format.name);
  }
  if (opt.accumulation != Accumulation::kFp32) {
    throw Error("matmul_q8: accumulation '" + std::string(accumulation_name(opt.accumulation)) +
                "' not supported; the int8-activation product has one fp32 rule (docs/matmul.md §7)");
  }
  if (m < 0 || k < 0) throw Error("matmul_q8: negative dimension in A");
  if (k != w.k) {
    throw Error("matmul_q8: shape mismatch: A has K = " + std::to_string(k) + " columns but packed " + w.what +
                " has K = " + std::to_string(w.k));
  }
  if (m == 0 || w.rows == 0) return;
  if ((k > 0 && a == nullptr) || c == nullptr) throw Error("matmul_q8: null data pointer");
  if (k == 0) {
    std::fill_n(c, m * w.rows, 0.0f);
    return;
  }
  if (!opt.reference && kernels::linear_q8_hif4(a, m, w, c, opt.threads)) return;
  reference_linear_q8(a, m, w, c);
}

std::vector<float> widen(const bfloat16* a, int64_t m, int64_t k) {
  if (m < 0 || k < 0) throw Error("matmul_q8: negative dimension in A");
  std::vector<float> out(static_cast<size_t>(m * k));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(a[i]);  // exact
  return out;
}

}  // namespace

void linear_q8(const float* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt) {
  run_q8(a, m, k, view_lines(w, 1, "W"), c, opt);
}
void linear_q8(const bfloat16* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt) {
  const PackedLines wl = view_lines(w, 1, "W");
  run_q8(widen(a, m, k).data(), m, k, wl, c, opt);
}
void matmul_q8(const float* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt) {
  run_q8(a, m, k, view_lines(b, 0, "B"), c, opt);
}
void matmul_q8(const bfloat16* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt) {
  const PackedLines bl = view_lines(b, 0, "B");
  run_q8(widen(a, m, k).data(), m, k, bl, c, opt);
}

}  // namespace hifloat
