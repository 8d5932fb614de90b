// Format strings: `name[:key=value,...]` (spec/README.md) and the registry of
// formats hifloat knows.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hifloat {

// A parsed, validated format string: aliases resolved, every option present
// (defaults filled in), options sorted by key. Two strings denote the same
// format exactly when their FormatSpecs compare equal.
struct FormatSpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;

  // Value of an option; throws Error if the format has no such key.
  const std::string& option(std::string_view key) const;
  // Canonical string: the name, then only the options that differ from their defaults.
  std::string str() const;
  // The name followed by every option, defaults included.
  std::string full_str() const;

  friend bool operator==(const FormatSpec&, const FormatSpec&) = default;
};

struct OptionDef {
  std::string key;
  // Accepted values; empty means the value is checked by `validate`.
  std::vector<std::string> values;
  std::string default_value;
  // For free-form values: returns an empty string if `value` is acceptable,
  // otherwise what was expected (used in the error message).
  std::string (*validate)(std::string_view value) = nullptr;
};

struct FormatInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<OptionDef> options;
  std::string bits_per_value;  // as documented, e.g. "4.5" or "8 + 32/L"
  std::string description;     // one line
};

// Every format hifloat implements, in display order.
const std::vector<FormatInfo>& format_registry();

// Parses and validates a format string. Throws Error naming the offending
// part (unknown name, unknown key, bad value, repeated key, syntax).
FormatSpec parse_format(std::string_view text);

// Free-form option validators shared by several formats.
std::string validate_uint64(std::string_view value);

}  // namespace hifloat
