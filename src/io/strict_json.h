// JSON from untrusted files, parsed strictly: duplicate keys (which parsers
// resolve differently) and deep nesting are errors, not silently accepted.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hifloat::io {

// Throws Error starting with `where` ("FILE: header", say) when `text` is not
// valid JSON, repeats a key within an object, or nests deeper than `max_depth`.
nlohmann::json parse_strict_json(std::string_view text, const std::string& where, int max_depth = 8);

}  // namespace hifloat::io
