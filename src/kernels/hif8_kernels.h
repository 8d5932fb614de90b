// HiF8 fast paths over contiguous arrays: SIMD (Highway, runtime dispatch to
// the best target this CPU supports) and threaded (static partition). Each
// equals its scalar reference below bit for bit, for every input, rounding
// mode, overflow policy, thread count and SIMD target; the tests check that.
//
// `first` is the flat index of element 0 (stochastic rounding draws by flat
// index); `threads` as ExecOptions::threads (0 = all hardware threads).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hifloat/hif8.h"
#include "hifloat/ieee16.h"

namespace hifloat::kernels {

void hif8_encode(const float* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first, int threads);
void hif8_encode(const float16* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first, int threads);
void hif8_encode(const bfloat16* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first, int threads);

void hif8_decode(const uint8_t* in, float* out, size_t n, int threads);
void hif8_decode(const uint8_t* in, float16* out, size_t n, int threads);
void hif8_decode(const uint8_t* in, bfloat16* out, size_t n, int threads);

void hif8_fake_quant(const float* in, float* out, size_t n, const Hif8Options& opt, uint64_t first, int threads);
void hif8_fake_quant(const float16* in, float16* out, size_t n, const Hif8Options& opt, uint64_t first, int threads);
void hif8_fake_quant(const bfloat16* in, bfloat16* out, size_t n, const Hif8Options& opt, uint64_t first,
                     int threads);

// The scalar references: the element functions of hifloat/hif8.h in a loop.
template <typename In>
void hif8_encode_reference(const In* in, uint8_t* out, size_t n, const Hif8Options& opt, uint64_t first) {
  for (size_t i = 0; i < n; ++i) out[i] = hifloat::hif8_encode(static_cast<double>(static_cast<float>(in[i])), opt, first + i);
}

template <typename Out>
void hif8_decode_reference(const uint8_t* in, Out* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = Out(hifloat::hif8_decode(in[i]));
}

template <typename T>
void hif8_fake_quant_reference(const T* in, T* out, size_t n, const Hif8Options& opt, uint64_t first) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = T(hifloat::hif8_decode(hifloat::hif8_encode(static_cast<double>(static_cast<float>(in[i])), opt, first + i)));
  }
}

}  // namespace hifloat::kernels
