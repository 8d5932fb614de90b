#include "io/strict_json.h"

#include <set>
#include <vector>

#include "hifloat/error.h"

namespace hifloat::io {

nlohmann::json parse_strict_json(std::string_view text, const std::string& where, int max_depth) {
  using json = nlohmann::json;
  std::vector<std::set<std::string>> keys;  // keys seen in each open object
  const json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= max_depth) {
          throw Error(where + " nests deeper than " + std::to_string(max_depth) + " levels");
        }
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          throw Error(where + " has the key '" + parsed.get<std::string>() + "' twice in one object");
        }
        break;
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), cb);
  } catch (const json::exception& e) {
    throw Error(where + " is not valid JSON: " + e.what());
  }
}

}  // namespace hifloat::io
