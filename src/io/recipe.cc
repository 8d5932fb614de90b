// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex> when
// optimising with sanitizers (GCC bug 105562).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "hifloat/recipe.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hifloat/error.h"

namespace hifloat {

namespace {

using json = nlohmann::json;

std::regex compile(const std::string& pattern, const std::string& where) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    throw Error(where + ": bad regular expression '" + pattern + "' (" + e.what() + ")");
  }
}

std::optional<FormatSpec> format_or_keep(const json& v, const std::string& where) {
  if (!v.is_string()) throw Error(where + ": expected a format string or \"keep\"");
  const std::string s = v.get<std::string>();
  if (s == "keep") return std::nullopt;
  try {
    return parse_format(s);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

}  // namespace

AxisChoice parse_axis_choice(const std::string& text) {
  if (text == "last" || text == "-1") return {};
  int v = -1;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < 0) {
    throw Error("axis '" + text + "': expected 'last' or a non-negative integer");
  }
  return {false, v};
}

const std::vector<std::string>& Recipe::default_keep_patterns() {
  static const std::vector<std::string> keep = {"norm", "embed", "lm_head"};
  return keep;
}

Recipe Recipe::load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open recipe");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), path);
}

Recipe Recipe::parse(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(where + ": recipe is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(where + ": a recipe is a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "default" && key != "keep" && key != "rules") {
      throw Error(where + ": unknown recipe key '" + key + "' (expected default, keep, rules)");
    }
  }
  Recipe r;
  if (!j.contains("default")) throw Error(where + ": recipe needs a \"default\" format (or \"keep\")");
  r.default_ = format_or_keep(j["default"], where + ": default");

  std::vector<std::string> keep = default_keep_patterns();
  if (j.contains("keep")) {
    if (!j["keep"].is_array()) throw Error(where + ": \"keep\" must be a list of patterns");
    keep.clear();
    for (const json& p : j["keep"]) {
      if (!p.is_string()) throw Error(where + ": \"keep\" must be a list of pattern strings");
      keep.push_back(p.get<std::string>());
    }
  }
  for (const std::string& p : keep) r.keep_.push_back({p, compile(p, where + ": keep"), std::nullopt, std::nullopt});

  if (j.contains("rules")) {
    if (!j["rules"].is_array()) throw Error(where + ": \"rules\" must be a list");
    int i = 0;
    for (const json& rule : j["rules"]) {
      const std::string at = where + ": rule " + std::to_string(++i);
      if (!rule.is_object() || !rule.contains("pattern") || !rule["pattern"].is_string() || !rule.contains("format")) {
        throw Error(at + ": expected {\"pattern\": REGEX, \"format\": FORMAT[, \"axis\": \"last\"|N]}");
      }
      for (const auto& [key, value] : rule.items()) {
        if (key != "pattern" && key != "format" && key != "axis") throw Error(at + ": unknown key '" + key + "'");
      }
      Rule out{rule["pattern"].get<std::string>(), {}, format_or_keep(rule["format"], at), std::nullopt};
      out.regex = compile(out.pattern, at);
      if (rule.contains("axis")) {
        const json& a = rule["axis"];
        if (a.is_number_integer()) {
          out.axis = parse_axis_choice(std::to_string(a.get<long long>()));
        } else if (a.is_string()) {
          try {
            out.axis = parse_axis_choice(a.get<std::string>());
          } catch (const Error& e) {
            throw Error(at + ": " + e.what());
          }
        } else {
          throw Error(at + ": axis must be \"last\" or a non-negative integer");
        }
      }
      r.rules_.push_back(std::move(out));
    }
  }
  return r;
}

RecipeChoice Recipe::choose(const std::string& tensor, AxisChoice axis) const {
  for (const Rule& k : keep_) {
    if (std::regex_search(tensor, k.regex)) return {std::nullopt, axis, "keep: " + k.pattern};
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    if (std::regex_search(tensor, r.regex)) {
      return {r.format, r.axis.value_or(axis), "rule " + std::to_string(i + 1) + ": " + r.pattern};
    }
  }
  return {default_, axis, "default"};
}

std::vector<FormatSpec> Recipe::formats() const {
  std::vector<FormatSpec> out;
  auto add = [&](const std::optional<FormatSpec>& f) {
    if (f && std::find(out.begin(), out.end(), *f) == out.end()) out.push_back(*f);
  };
  for (const Rule& r : rules_) add(r.format);
  add(default_);
  return out;
}

}  // namespace hifloat
