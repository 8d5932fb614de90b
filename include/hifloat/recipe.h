// A quantisation recipe: which format each tensor of a checkpoint gets,
// chosen by name pattern. JSON (docs/checkpoint.md, "Recipes"):
//
//   {
//     "default": "hif4",                       // tensors no rule matches ("keep" = leave as is)
//     "keep": ["norm", "embed", "lm_head"],    // optional; this is the default list
//     "rules": [                               // optional; first match wins
//       {"pattern": "attn", "format": "hif8"},
//       {"pattern": "mlp\\.down", "format": "hif4", "axis": 0}
//     ]
//   }
//
// Patterns are ECMAScript regular expressions searched anywhere in the tensor
// name, case-insensitively. "keep" patterns are tried first, then the rules
// in order, then the default. A rule's format may be "keep".
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "hifloat/format.h"

namespace hifloat {

// The axis a tensor is blocked along: the last one, or an explicit index.
struct AxisChoice {
  bool last = true;
  int index = 0;

  int resolve() const { return last ? -1 : index; }
  std::string str() const { return last ? "last" : std::to_string(index); }
};

// Parses "last" or a non-negative integer; throws Error otherwise.
AxisChoice parse_axis_choice(const std::string& text);

// What the recipe says for one tensor.
struct RecipeChoice {
  std::optional<FormatSpec> format;  // empty: keep the tensor in its original precision
  AxisChoice axis;
  std::string reason;  // the rule that decided, e.g. "keep: norm" or "rule 2: attn"
};

class Recipe {
 public:
  // Norms, embeddings and the LM head stay in their original precision.
  static const std::vector<std::string>& default_keep_patterns();

  // Parses a recipe file; throws Error naming the file and the bad entry.
  static Recipe load(const std::string& path);
  static Recipe parse(const std::string& json_text, const std::string& where);

  // `axis` applies to rules that name no axis.
  RecipeChoice choose(const std::string& tensor, AxisChoice axis) const;
  // Distinct formats the recipe can choose, in order of appearance.
  std::vector<FormatSpec> formats() const;

 private:
  struct Rule {
    std::string pattern;
    std::regex regex;
    std::optional<FormatSpec> format;
    std::optional<AxisChoice> axis;
  };
  std::vector<Rule> keep_;
  std::vector<Rule> rules_;
  std::optional<FormatSpec> default_;
};

}  // namespace hifloat
