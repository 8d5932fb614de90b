// Compiled with the same HWY_* target policy as the kernels (set on the whole
// library in CMakeLists.txt), so HWY_TARGETS here is the kernels' target set.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/targets.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace hifloat::kernels::HWY_NAMESPACE {
// Which compiled copy dynamic dispatch reaches.
int64_t DispatchedTarget() { return HWY_TARGET; }
}  // namespace hifloat::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <hwy/targets.h>

#include "kernels/targets.h"

namespace hifloat::kernels {

HWY_EXPORT(DispatchedTarget);

std::vector<int64_t> available_targets() { return hwy::SupportedAndGeneratedTargets(); }

int64_t active_target() { return HWY_DYNAMIC_DISPATCH(DispatchedTarget)(); }

std::string target_name(int64_t target) { return hwy::TargetName(target); }

ScopedTarget::ScopedTarget(int64_t target) { hwy::SetSupportedTargetsForTest(target); }
ScopedTarget::~ScopedTarget() { hwy::SetSupportedTargetsForTest(0); }

}  // namespace hifloat::kernels
#endif  // HWY_ONCE
