#include "kernels/matmul_kernels.h"
namespace hifloat::kernels {
bool matmul_dense_fp32(const float*, int64_t, const PackedLines&, float*, int) { return false; }
bool matmul_packed(const PackedLines&, const PackedLines&, Accumulation, float*, int) { return false; }
}  // namespace hifloat::kernels
