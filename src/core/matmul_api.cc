// The matmul API (include/hifloat/matmul.h): checks the operands, then runs a
// fast kernel where one exists for the format and accumulation, else the
// scalar reference. Both give the same bits (docs/matmul.md).
#include <algorithm>
#include <string>
#include <vector>

#include "core/matmul_operands.h"
#include "hifloat/error.h"
#include "hifloat/matmul.h"
#include "kernels/matmul_kernels.h"

namespace hifloat {

namespace {

void check_dense(int64_t m, int64_t k, const PackedLines& b, const float* a, const float* c) {
  if (m < 0 || k < 0) throw Error("matmul: negative dimension in A (" + std::to_string(m) + ", " + std::to_string(k) + ")");
  if (k != b.k) {
    throw Error("matmul: shape mismatch: A has K = " + std::to_string(k) + " columns but packed " + b.what + " has K = " +
                std::to_string(b.k));
  }
  if ((m * k > 0 && a == nullptr) || (m * b.rows > 0 && c == nullptr)) throw Error("matmul: null data pointer");
}

void run_dense(const float* a, int64_t m, int64_t k, const PackedLines& b, float* c, const MatmulOptions& opt) {
  check_dense(m, k, b, a, c);
  if (m == 0 || b.rows == 0) return;
  if (k == 0) {
    std::fill_n(c, m * b.rows, 0.0f);
    return;
  }
  if (!opt.reference) {
    const bool done = opt.accumulation == Accumulation::kFp32
                          ? kernels::matmul_dense_fp32(a, m, b, c, opt.threads)
                          : kernels::matmul_dense_blocksum(a, m, b, opt.accumulation, c, opt.threads);
    if (done) return;
  }
  reference_matmul(a, m, b, opt.accumulation, c);
}

std::vector<float> widen(const bfloat16* a, int64_t m, int64_t k) {
  if (m < 0 || k < 0) throw Error("matmul: negative dimension in A");
  std::vector<float> out(static_cast<size_t>(m * k));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(a[i]);  // exact
  return out;
}

void run_packed(const PackedLines& a, const PackedLines& b, float* c, const MatmulOptions& opt) {
  check_same_format(a, b);
  if (a.k != b.k) {
    throw Error("matmul: shape mismatch: packed " + a.what + " has K = " + std::to_string(a.k) + " but packed " +
                b.what + " has K = " + std::to_string(b.k));
  }
  if (a.rows == 0 || b.rows == 0) return;
  if (c == nullptr) throw Error("matmul: null output pointer");
  if (a.k == 0) {
    std::fill_n(c, a.rows * b.rows, 0.0f);
    return;
  }
  if (!opt.reference && kernels::matmul_packed(a, b, opt.accumulation, c, opt.threads)) return;
  reference_matmul(a, b, opt.accumulation, c);
}

}  // namespace

void matmul(const float* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt) {
  run_dense(a, m, k, view_lines(b, 0, "B"), c, opt);
}
void matmul(const bfloat16* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt) {
  const PackedLines bl = view_lines(b, 0, "B");
  const std::vector<float> af = widen(a, m, k);
  run_dense(af.data(), m, k, bl, c, opt);
}
void linear(const float* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt) {
  run_dense(a, m, k, view_lines(w, 1, "W"), c, opt);
}
void linear(const bfloat16* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt) {
  const PackedLines wl = view_lines(w, 1, "W");
  const std::vector<float> af = widen(a, m, k);
  run_dense(af.data(), m, k, wl, c, opt);
}
void matmul(const PackedView& a, const PackedView& b, float* c, const MatmulOptions& opt) {
  run_packed(view_lines(a, 1, "A"), view_lines(b, 0, "B"), c, opt);
}
void linear(const PackedView& a, const PackedView& w, float* c, const MatmulOptions& opt) {
  run_packed(view_lines(a, 1, "A"), view_lines(w, 1, "W"), c, opt);
}

}  // namespace hifloat
