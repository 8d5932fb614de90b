// Internal: packed matrix operands of the matmul API seen as `rows` lines of
// `k` values along K, with the checks that give clear errors (docs/matmul.md §4).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hifloat/codec.h"
#include "hifloat/matmul.h"

namespace hifloat {

struct PackedLines {
  PackedView packed;             // the operand (its bytes are not owned)
  std::string what;              // "A", "B" or "W", for messages
  std::unique_ptr<Codec> codec;  // null for hif4 until its codec is registered
  int64_t rows = 0;              // lines (M for A, N for B/W)
  int64_t k = 0;                 // length of each line (K)
  bool elementwise = false;      // one byte per element in C order of packed.shape
  bool k_major = false;          // elementwise and stored as (K, rows)
  int64_t block_len = 1;         // values per record along K (padded); 1 when elementwise
  int64_t blocks_per_row = 0;    // records per line
  size_t record_bytes = 1;
  size_t header_bytes = 0;

  const uint8_t* header() const { return packed.data.data(); }
  const uint8_t* record(int64_t row, int64_t block) const {
    return packed.data.data() + header_bytes +
           static_cast<size_t>(row * blocks_per_row + block) * record_bytes;
  }
  // Decoded values of line `row` (k floats), by the format's reference decoder.
  void decode_row(int64_t row, float* out) const;
};

// Views `p` as lines along K. `k_axis` is the dimension of p.shape that is K
// (0 for matmul's B of shape (K, N), 1 for A of shape (M, K) and linear's W of
// shape (N, K)); a 1-d A (K,) is one line. Throws Error when the rank, the
// blocking axis or the byte count is wrong.
PackedLines view_lines(const PackedView& p, int k_axis, const std::string& what);

// Checks that A and B can be multiplied as packed operands (same format).
void check_same_format(const PackedLines& a, const PackedLines& b);

// Scalar reference of docs/matmul.md (decoded values, exact products, the
// accumulation rules). Used by tests and by MatmulOptions::reference.
void reference_matmul(const float* a, int64_t m, const PackedLines& b, Accumulation acc, float* c);
void reference_matmul(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c);

// docs/matmul.md §7: HiF4 W lines × int8-quantised rows of a (m×k, k = w.k).
void reference_linear_q8(const float* a, int64_t m, const PackedLines& w, float* c);
// The scalar activation quantiser of docs/matmul.md §7 (hifloat::quantize_activations_q8 runs the SIMD one).
void reference_quantize_activations_q8(const float* a, int64_t k, int8_t* q, float* d);

// One output of each rule, on decoded values (exposed for tests).
float reference_dot_dense(const float* a, const float* w, int64_t k, int64_t block, Accumulation acc);
float reference_dot_packed(const float* a, const float* b, int64_t k, int64_t block, Accumulation acc);

// HiF4 unit decode exactly as HIF4.md §3 and §7 write it (64 values).
void hif4_reference_decode_unit(const uint8_t* unit, float* out);

}  // namespace hifloat
