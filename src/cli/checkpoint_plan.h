// Which tensors of a checkpoint the compare/quantize tools work on, and how:
// --include/--exclude filters, the dtype (only F32/F16/BF16 are quantised),
// and an optional recipe.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "hifloat/checkpoint.h"
#include "hifloat/recipe.h"

namespace hifloat::cli {

struct SelectOptions {
  std::string include;  // regex searched in the name; empty = all
  std::string exclude;  // regex searched in the name; empty = none
  std::optional<Recipe> recipe;
  AxisChoice axis;
};

enum class TensorAction {
  kQuantize,  // a float tensor to work on
  kKeep,      // kept in original precision by the recipe
  kNotFloat,  // a dtype the tools do not quantise (ints, bool, F64, packed U8): copied
  kEmpty,     // no elements
  kFiltered,  // not matched by --include, or matched by --exclude: copied (quantize) or ignored (compare)
};

struct PlannedTensor {
  Checkpoint::Entry entry;
  TensorAction action = TensorAction::kQuantize;
  std::optional<FormatSpec> recipe_format;  // the recipe's format (kQuantize with a recipe)
  AxisChoice axis;
  std::string note;  // why the tensor is skipped, or which recipe rule chose its format
};

std::vector<PlannedTensor> plan_tensors(const Checkpoint& ckpt, const SelectOptions& opt);

// The axis index for a tensor of `shape` (a 0-d tensor counts as shape (1,)).
int resolve_axis(const Shape& shape, AxisChoice axis, const std::string& tensor);

// "[30522, 384]".
std::string shape_string(const Shape& shape);

}  // namespace hifloat::cli
