// Bindings of the format registry and format-string parsing (hifloat/format.h).
#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"

namespace nb = nanobind;

namespace hifloat::python {

namespace {

// Whether the library has a codec for this (valid) format yet.
bool has_codec(const FormatSpec& spec) {
  try {
    make_codec(spec);
    return true;
  } catch (const Error&) {
    return false;
  }
}

nb::list registry_as_dicts() {
  nb::list out;
  for (const FormatInfo& f : format_registry()) {
    nb::list options;
    for (const OptionDef& o : f.options) {
      nb::dict d;
      d["key"] = o.key;
      d["values"] = o.values;  // empty: free-form (checked by the library)
      d["default"] = o.default_value;
      options.append(d);
    }
    nb::dict d;
    d["name"] = f.name;
    d["aliases"] = f.aliases;
    d["options"] = options;
    d["bits_per_value"] = f.bits_per_value;
    d["description"] = f.description;
    d["implemented"] = has_codec(parse_format(f.name));
    out.append(d);
  }
  return out;
}

// (name, [(key, value), ...] with defaults filled, canonical string, full string)
std::tuple<std::string, std::vector<std::pair<std::string, std::string>>, std::string, std::string> parse(
    std::string_view text) {
  const FormatSpec s = parse_format(text);
  return {s.name, s.options, s.str(), s.full_str()};
}

}  // namespace

void bind_formats(nb::module_& m) {
  m.def("formats", &registry_as_dicts, "Every registered format as a dict (name, aliases, options, ...).");
  m.def("parse_format", &parse, nb::arg("text"),
        "Parses a format string: (name, options with defaults, canonical string, full string).");
  m.def(
      "has_codec", [](std::string_view text) { return has_codec(parse_format(text)); }, nb::arg("format"),
      "Whether the library implements a codec for this format.");
}

}  // namespace hifloat::python
