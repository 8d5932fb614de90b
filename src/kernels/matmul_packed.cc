// Packed × packed: picks the kernel for the format (docs/matmul.md §3).
#include "kernels/matmul_kernels.h"

namespace hifloat::kernels {

bool matmul_hif4_packed(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads);
// One-byte elementwise formats (hif8, fp8_e4m3, fp8_e5m2): matmul_hif8_packed.cc.
bool matmul_bytes_packed(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads);

bool matmul_packed(const PackedLines& a, const PackedLines& b, Accumulation acc, float* c, int threads) {
  if (a.packed.format.name == "hif4") return matmul_hif4_packed(a, b, acc, c, threads);
  if (a.elementwise) return matmul_bytes_packed(a, b, acc, c, threads);
  return false;
}

}  // namespace hifloat::kernels
