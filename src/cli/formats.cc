// `hifloat formats`: every format of the registry with its aliases, size,
// options (defaults first) and a one-line description.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"

namespace hifloat::cli {

namespace {

std::string describe_option(const OptionDef& d) {
  std::string out = d.key + "=" + d.default_value;
  if (!d.values.empty()) {
    out += " (";
    for (size_t i = 0; i < d.values.size(); ++i) out += (i ? "|" : "") + d.values[i];
    out += ")";
  } else if (d.validate) {
    out += " (" + d.validate("") + ")";  // an empty value is never valid: yields what is expected
  }
  return out;
}

bool implemented(const FormatInfo& f) {
  try {
    make_codec(f.name);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void print_formats() {
  for (const FormatInfo& f : format_registry()) {
    std::printf("%-12s %-13s %s%s\n", f.name.c_str(), (f.bits_per_value + " b/v").c_str(), f.description.c_str(),
                implemented(f) ? "" : " [not implemented in this build]");
    if (!f.aliases.empty()) {
      std::string aliases;
      for (const std::string& a : f.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      std::printf("%-26s aliases: %s\n", "", aliases.c_str());
    }
    if (!f.options.empty()) {
      std::string opts;
      for (const OptionDef& d : f.options) opts += (opts.empty() ? "" : ", ") + describe_option(d);
      std::printf("%-26s options: %s\n", "", opts.c_str());
    }
  }
}

}  // namespace

void register_formats(CLI::App& app) {
  auto* cmd = app.add_subcommand("formats",
                                 "List every format: name, bits per value, description, aliases, options "
                                 "as key=default (accepted values)");
  cmd->callback(print_formats);
}

}  // namespace hifloat::cli
