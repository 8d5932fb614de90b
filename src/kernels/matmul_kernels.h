// Internal: fast matmul kernels (Highway SIMD + threads). Each returns false
// when it has no fast path for the operands, and the caller falls back to the
// scalar reference; when it returns true the result equals the reference
// bit for bit (docs/matmul.md §3).
#pragma once

#include <cstdint>

#include "core/matmul_operands.h"

namespace hifloat::kernels {

// Dense fp32 A (m×k) × packed lines B, accumulation kFp32 (16-lane FMA rule).
bool matmul_dense_fp32(const float* a, int64_t m, const PackedLines& b, float* c, int threads);

// Activation rows the GEMV kernel (gemv_hif4.cc) takes, in groups of 4 per
// pass over a block of weight lines (which stays in L2 for the next group).
// Its time grows linearly with M (~0.41 ms per row at 4096×4096, Zen 4, 1
// thread), while the lane-major GEMM of matmul_dense_gemm.cc first decodes and
// packs all weights (~7 ms there) and then costs ~0.32 ms per row; the two
// meet near M ≈ 100 (docs/performance.md).
constexpr int64_t kGemvMaxRows = 96;

// Dense fp32 A with 1 ≤ m ≤ kGemvMaxRows rows × HiF4 lines, kFp32, decoding in registers
// (gemv_hif4.cc); false where the target or operands have no such path.
bool gemv_hif4(const float* a, int64_t m, const PackedLines& w, float* c, int threads);
// The same for m ≥ kGemmMinRows: lane-major packed outer-product GEMM
// (matmul_dense_gemm.cc). matmul_dense_fp32 forwards to it.
constexpr int64_t kGemmMinRows = 8;
bool matmul_dense_gemm_fp32(const float* a, int64_t m, const PackedLines& b, float* c, int threads);

// Packed × packed, any accumulation (hif4 and hif8).
bool matmul_packed(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads);
// Whether HiF4 × HiF4 runs the AVX-512 VNNI kernel (matmul_hif4_packed_vnni.cc)
// on the target dispatched to now.
bool hif4_packed_vnni_dispatched();

// HiF4 W lines × int8-quantised rows of A (docs/matmul.md §7).
bool linear_q8_hif4(const float* a, int64_t m, const PackedLines& w, float* c, int threads);
// The activation quantisation of §7 for one row (quantize_q8.cc): equal to
// reference_quantize_activations_q8 on every target.
void quantize_activations_q8(const float* a, int64_t k, int8_t* q, float* d);

// Dense fp32 A × packed lines B in accumulation kExact or kFp32Truncate
// (exact fp64 block sums, matmul_dense_blocksum.cc); false for kFp32.
bool matmul_dense_blocksum(const float* a, int64_t m, const PackedLines& b, Accumulation acc, float* c, int threads);

// Lines row..row+count-1 of b (k values each, natural K order) to fp32 at
// out + r*ld, through the format's fast tensor decoder (fast_paths.h) where it
// has one, else its Codec (matmul_decode.cc). Equal to PackedLines::decode_row.
void decode_lines_natural(const PackedLines& b, int64_t row, int64_t count, float* out, int64_t ld);

}  // namespace hifloat::kernels
