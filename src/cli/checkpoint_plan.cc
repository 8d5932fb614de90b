// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex> when
// optimising with sanitizers (GCC bug 105562).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "cli/checkpoint_plan.h"

#include "hifloat/error.h"

namespace hifloat::cli {

namespace {

std::optional<std::regex> compile_filter(const std::string& re, const char* flag) {
  if (re.empty()) return std::nullopt;
  try {
    return std::regex(re, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error(std::string(flag) + ": bad regular expression '" + re + "' (" + e.what() + ")");
  }
}

}  // namespace

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int resolve_axis(const Shape& shape, AxisChoice axis, const std::string& tensor) {
  const int rank = std::max<int>(1, static_cast<int>(shape.size()));
  if (axis.last) return rank - 1;
  if (axis.index >= rank) {
    throw Error("tensor '" + tensor + "' of shape " + shape_string(shape) + " has no axis " +
                std::to_string(axis.index));
  }
  return axis.index;
}

std::vector<PlannedTensor> plan_tensors(const Checkpoint& ckpt, const SelectOptions& opt) {
  const auto include = compile_filter(opt.include, "--include");
  const auto exclude = compile_filter(opt.exclude, "--exclude");
  std::vector<PlannedTensor> out;
  for (const Checkpoint::Entry& e : ckpt.entries()) {
    const StTensorInfo& t = *e.tensor;
    PlannedTensor p{e, TensorAction::kQuantize, std::nullopt, opt.axis, {}};
    if ((include && !std::regex_search(t.name, *include)) || (exclude && std::regex_search(t.name, *exclude))) {
      p.action = TensorAction::kFiltered;
      p.note = "filtered out";
    } else if (!is_quantizable_dtype(t.dtype)) {
      p.action = TensorAction::kNotFloat;
      p.note = std::string("dtype ") + st_dtype_name(t.dtype) + " not quantized";
    } else if (num_elements(t.shape) == 0) {
      p.action = TensorAction::kEmpty;
      p.note = "empty";
    } else if (opt.recipe) {
      RecipeChoice c = opt.recipe->choose(t.name, opt.axis);
      p.axis = c.axis;
      p.note = c.reason;
      if (c.format) {
        p.recipe_format = std::move(c.format);
      } else {
        p.action = TensorAction::kKeep;
        p.note = "kept by recipe (" + c.reason + ")";
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hifloat::cli
