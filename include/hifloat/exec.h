// How a call runs: thread count and whether to force the scalar reference.
// Results never depend on either (every fast path equals the reference bit
// for bit, and stochastic rounding draws by flat index, not by thread).
#pragma once

namespace hifloat {

struct ExecOptions {
  int threads = 1;         // 0 = all hardware threads; negative is an error
  bool reference = false;  // force the plain scalar reference instead of the SIMD/threaded fast path
};

}  // namespace hifloat
