// Boilerplate of the block-format kernels: the per-target entry points of a
// policy (inside HWY_NAMESPACE) and their dynamic dispatch (in HWY_ONCE).
#pragma once

// Per target: PREFIX##EncodeContig ... PREFIX##DecodeStrided over POLICY(params).
#define HIFLOAT_BLOCK_TARGET_FUNCTIONS(PREFIX, POLICY)                                                           \
  void PREFIX##EncodeContig(const BlockParams& p, const float* x, size_t nb, uint8_t* rec) {                     \
    EncodeContig(POLICY(p), x, nb, rec);                                                                         \
  }                                                                                                              \
  void PREFIX##EncodeStrided(const BlockParams& p, const float* x, int64_t inner, size_t count, int64_t valid,   \
                             uint8_t* rec, size_t rs) {                                                          \
    EncodeStrided(POLICY(p), x, inner, count, valid, rec, rs);                                                   \
  }                                                                                                              \
  void PREFIX##FakeQuantContig(const BlockParams& p, const float* x, size_t nb, float* y) {                      \
    FakeQuantContig(POLICY(p), x, nb, y);                                                                        \
  }                                                                                                              \
  void PREFIX##FakeQuantStrided(const BlockParams& p, const float* x, int64_t inner, size_t count, int64_t valid, \
                                float* y) {                                                                      \
    FakeQuantStrided(POLICY(p), x, inner, count, valid, y);                                                      \
  }                                                                                                              \
  void PREFIX##DecodeContig(const BlockParams& p, const uint8_t* rec, size_t nb, float* y) {                     \
    DecodeContig(POLICY(p), rec, nb, y);                                                                         \
  }                                                                                                              \
  void PREFIX##DecodeStrided(const BlockParams& p, const uint8_t* rec, size_t rs, size_t count, int64_t valid,   \
                             float* y, int64_t inner) {                                                          \
    DecodeStrided(POLICY(p), rec, rs, count, valid, y, inner);                                                   \
  }

// In HWY_ONCE: exports, and PREFIX##_kernels() returning the dispatched pointers.
#define HIFLOAT_BLOCK_EXPORTS(PREFIX)                                                                            \
  HWY_EXPORT(PREFIX##EncodeContig);                                                                              \
  HWY_EXPORT(PREFIX##EncodeStrided);                                                                             \
  HWY_EXPORT(PREFIX##FakeQuantContig);                                                                           \
  HWY_EXPORT(PREFIX##FakeQuantStrided);                                                                          \
  HWY_EXPORT(PREFIX##DecodeContig);                                                                              \
  HWY_EXPORT(PREFIX##DecodeStrided);                                                                             \
  BlockKernelPtrs PREFIX##_kernels() {                                                                           \
    return {&HWY_DYNAMIC_DISPATCH(PREFIX##EncodeContig),    &HWY_DYNAMIC_DISPATCH(PREFIX##EncodeStrided),        \
            &HWY_DYNAMIC_DISPATCH(PREFIX##FakeQuantContig), &HWY_DYNAMIC_DISPATCH(PREFIX##FakeQuantStrided),     \
            &HWY_DYNAMIC_DISPATCH(PREFIX##DecodeContig),    &HWY_DYNAMIC_DISPATCH(PREFIX##DecodeStrided)};       \
  }
