// Vectorised stochastic-rounding draws: stochastic_draw24 (include/hifloat/
// philox.h, HIF4.md §5.1) for a run of consecutive flat indices, computing one
// Philox4x32-10 block per SIMD lane. Included once per Highway target.
//
// Element n's draw is word (n & 3) of Philox(counter = n >> 2, key = seed),
// shifted right by 8. Each 64-bit lane runs one counter with its four 32-bit
// words held in the low halves of four 64-bit vectors, so the 32x32->64-bit
// products come from MulEven.
#if defined(HIFLOAT_KERNELS_PHILOX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HIFLOAT_KERNELS_PHILOX_INL_H_
#undef HIFLOAT_KERNELS_PHILOX_INL_H_
#else
#define HIFLOAT_KERNELS_PHILOX_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "hifloat/philox.h"

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Extra entries FillDraws may write past `count`.
inline constexpr size_t kDrawsSlack = 8 * (HWY_MAX_BYTES / sizeof(uint64_t)) + 8;

// Writes the draws of flat indices first .. first + count - 1 and returns a
// pointer p into `buf` with p[j] = stochastic_draw24(seed, first + j).
// `buf` must hold count + kDrawsSlack entries.
HWY_INLINE const uint32_t* FillDraws(uint64_t seed, uint64_t first, size_t count, uint32_t* HWY_RESTRICT buf) {
  const uint64_t c0 = first >> 2;
  const size_t offset = static_cast<size_t>(first & 3);
  const size_t counters = (offset + count + 3) / 4;
#if HWY_TARGET == HWY_SCALAR
  // One lane: BitCast between 64- and 32-bit lanes does not exist here.
  for (size_t j = 0; j < counters; ++j) {
    const Philox4x32 out = philox4x32_10({static_cast<uint32_t>(c0 + j), static_cast<uint32_t>((c0 + j) >> 32), 0u, 0u},
                                         static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    for (int w = 0; w < 4; ++w) buf[4 * j + w] = out[w] >> 8;
  }
#else
  const hn::ScalableTag<uint64_t> d64;
  const hn::Repartition<uint32_t, decltype(d64)> d32;
  using V = hn::Vec<decltype(d64)>;
  const size_t lanes = hn::Lanes(d64);
  // Round keys: the key is bumped by the Weyl constants after every round.
  uint32_t k0[10], k1[10];
  k0[0] = static_cast<uint32_t>(seed);
  k1[0] = static_cast<uint32_t>(seed >> 32);
  for (int r = 1; r < 10; ++r) {
    k0[r] = k0[r - 1] + 0x9E3779B9u;
    k1[r] = k1[r - 1] + 0xBB67AE85u;
  }
  const V m0 = hn::Set(d64, 0xD2511F53u), m1 = hn::Set(d64, 0xCD9E8D57u);
  const V low32 = hn::Set(d64, 0xFFFFFFFFull);
  const auto round = [&](V& x0, V& x1, V& x2, V& x3, int r) HWY_ATTR {
    const V p0 = hn::MulEven(hn::BitCast(d32, x0), hn::BitCast(d32, m0));
    const V p1 = hn::MulEven(hn::BitCast(d32, x2), hn::BitCast(d32, m1));
    x0 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p1), x1), hn::Set(d64, k0[r]));
    x1 = hn::And(p1, low32);
    x2 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p0), x3), hn::Set(d64, k1[r]));
    x3 = hn::And(p0, low32);
  };
  // Words 0,1 and 2,3 of each counter as one 64-bit lane each (little
  // endian), then interleaved: memory holds w0 w1 w2 w3 of counter j, j+1, ...
  const auto store = [&](V x0, V x1, V x2, V x3, uint32_t* dst) HWY_ATTR {
    const V w01 = hn::Or(hn::ShiftRight<8>(x0), hn::ShiftLeft<32>(hn::ShiftRight<8>(x1)));
    const V w23 = hn::Or(hn::ShiftRight<8>(x2), hn::ShiftLeft<32>(hn::ShiftRight<8>(x3)));
    hn::StoreInterleaved2(w01, w23, d64, reinterpret_cast<uint64_t*>(dst));
  };
  // Two independent counter vectors per step: each round is a serial chain
  // (multiply, shift, xor), so interleaving two hides its latency.
  for (size_t j = 0; j < counters; j += 2 * lanes) {
    const V ca = hn::Iota(d64, c0 + j), cb = hn::Iota(d64, c0 + j + lanes);
    V a0 = hn::And(ca, low32), a1 = hn::ShiftRight<32>(ca), a2 = hn::Zero(d64), a3 = hn::Zero(d64);
    V b0 = hn::And(cb, low32), b1 = hn::ShiftRight<32>(cb), b2 = hn::Zero(d64), b3 = hn::Zero(d64);
    for (int r = 0; r < 10; ++r) {
      round(a0, a1, a2, a3, r);
      round(b0, b1, b2, b3, r);
    }
    store(a0, a1, a2, a3, buf + 4 * j);
    store(b0, b1, b2, b3, buf + 4 * (j + lanes));
  }
#endif
  return buf + offset;
}

}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
