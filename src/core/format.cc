#include "hifloat/format.h"

#include <algorithm>
#include <charconv>

#include "hifloat/error.h"

namespace hifloat {

namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

const FormatInfo* find_format(std::string_view name) {
  for (const FormatInfo& f : format_registry()) {
    if (f.name == name) return &f;
    if (std::find(f.aliases.begin(), f.aliases.end(), name) != f.aliases.end()) return &f;
  }
  return nullptr;
}

const FormatInfo& info_of(const FormatSpec& spec) {
  const FormatInfo* f = find_format(spec.name);
  if (!f) throw Error("unknown format '" + spec.name + "'");
  return *f;
}

std::string known_names() {
  std::vector<std::string> names;
  for (const FormatInfo& f : format_registry()) names.push_back(f.name);
  return join(names, ", ");
}

}  // namespace

std::string validate_uint64(std::string_view value) {
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
    return "a decimal integer in [0, 2^64)";
  }
  return {};
}

const std::string& FormatSpec::option(std::string_view key) const {
  for (const auto& [k, v] : options) {
    if (k == key) return v;
  }
  throw Error("format '" + name + "' has no option '" + std::string(key) + "'");
}

std::string FormatSpec::str() const {
  const FormatInfo& info = info_of(*this);
  std::string out = name;
  char sep = ':';
  for (const auto& [k, v] : options) {
    // (clang < 16 cannot capture a structured binding in a lambda)
    const auto def = std::find_if(info.options.begin(), info.options.end(),
                                  [&key = k](const OptionDef& d) { return d.key == key; });
    if (def != info.options.end() && def->default_value == v) continue;
    out += sep;
    out += k + "=" + v;
    sep = ',';
  }
  return out;
}

std::string FormatSpec::full_str() const {
  std::string out = name;
  char sep = ':';
  for (const auto& [k, v] : options) {
    out += sep;
    out += k + "=" + v;
    sep = ',';
  }
  return out;
}

FormatSpec parse_format(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.empty()) throw Error("empty format string; expected name[:key=value,...], one of: " + known_names());
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' || c == ',' ||
                    c == '=' || c == '-';
    if (!ok) {
      throw Error("format string " + quoted + ": character '" + std::string(1, c) +
                  "' is not allowed (lower-case ASCII, digits, '_', ':', ',', '=' only; no spaces)");
    }
  }
  const size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  const FormatInfo* info = find_format(name);
  if (!info) throw Error("unknown format '" + std::string(name) + "' in " + quoted + "; known formats: " + known_names());

  FormatSpec spec;
  spec.name = info->name;
  std::vector<std::pair<std::string, std::string>> given;
  if (colon != std::string_view::npos) {
    std::string_view rest = text.substr(colon + 1);
    if (rest.empty()) throw Error("format string " + quoted + ": ':' must be followed by key=value options");
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const size_t eq = item.find('=');
      if (item.empty() || eq == std::string_view::npos || eq == 0 || eq + 1 == item.size() ||
          item.find('=', eq + 1) != std::string_view::npos) {
        throw Error("format string " + quoted + ": option '" + std::string(item) + "' is not of the form key=value");
      }
      const std::string key(item.substr(0, eq));
      const std::string value(item.substr(eq + 1));
      const auto def = std::find_if(info->options.begin(), info->options.end(),
                                    [&](const OptionDef& d) { return d.key == key; });
      if (def == info->options.end()) {
        std::vector<std::string> keys;
        for (const OptionDef& d : info->options) keys.push_back(d.key);
        throw Error("format '" + info->name + "' has no option '" + key + "'" +
                    (keys.empty() ? std::string(" (it takes no options)") : "; options: " + join(keys, ", ")));
      }
      for (const auto& [k, v] : given) {
        if (k == key) throw Error("format string " + quoted + ": option '" + key + "' given twice");
      }
      if (!def->values.empty()) {
        if (std::find(def->values.begin(), def->values.end(), value) == def->values.end()) {
          throw Error("format '" + info->name + "': bad value '" + value + "' for option '" + key +
                      "'; expected one of: " + join(def->values, ", "));
        }
      } else if (def->validate) {
        const std::string expected = def->validate(value);
        if (!expected.empty()) {
          throw Error("format '" + info->name + "': bad value '" + value + "' for option '" + key +
                      "'; expected " + expected);
        }
      }
      given.emplace_back(key, value);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  for (const OptionDef& d : info->options) {
    const auto it = std::find_if(given.begin(), given.end(), [&](const auto& kv) { return kv.first == d.key; });
    spec.options.emplace_back(d.key, it == given.end() ? d.default_value : it->second);
  }
  std::sort(spec.options.begin(), spec.options.end());
  return spec;
}

}  // namespace hifloat
