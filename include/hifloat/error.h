// The one exception type the library throws for bad input: a message that
// names the problem (file, tensor, offset, what was expected).
#pragma once

#include <stdexcept>
#include <string>

namespace hifloat {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hifloat
