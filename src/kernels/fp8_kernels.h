// OCP FP8 (E4M3, E5M2) fast paths over contiguous arrays: SIMD with runtime
// dispatch, threaded with a static partition (`threads` as
// ExecOptions::threads). Each equals its scalar reference below bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hifloat/fp8.h"
#include "hifloat/ieee16.h"

namespace hifloat::kernels {

#define HIFLOAT_FP8_KERNEL_DECLS(NAME, OVERFLOW, T)                                                 \
  void fp8_##NAME##_encode(const T* in, uint8_t* out, size_t n, OVERFLOW overflow, int threads);     \
  void fp8_##NAME##_fake_quant(const T* in, T* out, size_t n, OVERFLOW overflow, int threads);       \
  void fp8_##NAME##_decode(const uint8_t* in, T* out, size_t n, int threads);
HIFLOAT_FP8_KERNEL_DECLS(e4m3, E4M3Overflow, float)
HIFLOAT_FP8_KERNEL_DECLS(e4m3, E4M3Overflow, float16)
HIFLOAT_FP8_KERNEL_DECLS(e4m3, E4M3Overflow, bfloat16)
HIFLOAT_FP8_KERNEL_DECLS(e5m2, E5M2Overflow, float)
HIFLOAT_FP8_KERNEL_DECLS(e5m2, E5M2Overflow, float16)
HIFLOAT_FP8_KERNEL_DECLS(e5m2, E5M2Overflow, bfloat16)
#undef HIFLOAT_FP8_KERNEL_DECLS

// The scalar references: the element functions of hifloat/fp8.h in a loop.
template <typename T>
void fp8_e4m3_encode_reference(const T* in, uint8_t* out, size_t n, E4M3Overflow o) {
  for (size_t i = 0; i < n; ++i) out[i] = hifloat::fp8_e4m3_encode(static_cast<double>(static_cast<float>(in[i])), o);
}
template <typename T>
void fp8_e5m2_encode_reference(const T* in, uint8_t* out, size_t n, E5M2Overflow o) {
  for (size_t i = 0; i < n; ++i) out[i] = hifloat::fp8_e5m2_encode(static_cast<double>(static_cast<float>(in[i])), o);
}
template <typename T>
void fp8_e4m3_decode_reference(const uint8_t* in, T* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = T(hifloat::fp8_e4m3_decode(in[i]));
}
template <typename T>
void fp8_e5m2_decode_reference(const uint8_t* in, T* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = T(hifloat::fp8_e5m2_decode(in[i]));
}

}  // namespace hifloat::kernels
