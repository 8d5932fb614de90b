// Matrix products on packed (quantised) operands, with the accumulation
// semantics of docs/matmul.md.
//
//   matmul: C (M×N) = A (M×K) · B (K×N)   packed B has shape (K, N), blocking axis 0
//   linear: C (M×N) = A (M×K) · Wᵀ        packed W has shape (N, K), blocking axis 1
//
// Both forms store the same bytes (N lines of K values, blocks along K); only
// the logical shape differs. A is either a dense row-major float32 / bfloat16
// matrix ("weight-only": packed weights × float activations) or a packed
// tensor of the same format as B with shape (M, K) and blocking axis 1 (a
// 1-d packed A of shape (K,) counts as M = 1). C is row-major float32.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hifloat/codec.h"
#include "hifloat/ieee16.h"

namespace hifloat {

// How the exact products are summed (docs/matmul.md §2).
enum class Accumulation : uint8_t {
  kExact,          // the exact sum, rounded once to fp32 (ties to even)
  kFp32,           // fp32 round-to-nearest-even in the documented order
  kFp32Truncate,   // fp32, truncated (round toward zero) once per block
};

// "exact", "fp32", "fp32_trunc" (throws Error for anything else).
Accumulation parse_accumulation(std::string_view name);
std::string_view accumulation_name(Accumulation acc);

struct MatmulOptions {
  Accumulation accumulation = Accumulation::kFp32;
  int threads = 1;         // 0 = all hardware threads
  bool reference = false;  // force the scalar reference (same results, slow)
};

// A packed operand read in place: the bytes stay where they are (a Packed, a
// numpy array, a memory-mapped file) and must outlive the call, so a product
// never copies its weights. A Packed converts implicitly.
struct PackedView {
  FormatSpec format;
  Shape shape;
  int axis = -1;  // normalised, in [0, rank)
  std::span<const uint8_t> data;

  PackedView() = default;
  PackedView(const Packed& p) : format(p.format), shape(p.shape), axis(p.axis), data(p.data) {}  // NOLINT: implicit
};

// Dense activations × packed weights.
void matmul(const float* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt = {});
void matmul(const bfloat16* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt = {});
void linear(const float* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt = {});
void linear(const bfloat16* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt = {});

// Both operands packed, in the same format.
void matmul(const PackedView& a, const PackedView& b, float* c, const MatmulOptions& opt = {});
void linear(const PackedView& a, const PackedView& w, float* c, const MatmulOptions& opt = {});

// The accumulation block along K that docs/matmul.md uses for a format: its
// block length (hif4 64, nvfp4 16, MX 32, int4 G), or 64 for formats without
// blocks along K (hif8, fp8_*, int8).
int64_t accumulation_block(const FormatSpec& format);

// HiF4 weights × int8-quantised activations (docs/matmul.md §7): each row of
// A is quantised per 64 values to int8 with an fp32 scale d, then every output
// is the fp32 chain over units of fp32(I_u) · fp32(d_u · S_u/4), I_u an exact
// integer dot product. W / B must be packed "hif4"; only kFp32 accumulation.
void linear_q8(const float* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt = {});
void linear_q8(const bfloat16* a, int64_t m, int64_t k, const PackedView& w, float* c, const MatmulOptions& opt = {});
void matmul_q8(const float* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt = {});
void matmul_q8(const bfloat16* a, int64_t m, int64_t k, const PackedView& b, float* c, const MatmulOptions& opt = {});

// The activation quantisation of docs/matmul.md §7 for one row of k values:
// writes ceil(k/64)*64 int8 values to q (tail zero) and ceil(k/64) scales to d.
constexpr int64_t kQ8Block = 64;
void quantize_activations_q8(const float* a, int64_t k, int8_t* q, float* d);

}  // namespace hifloat
