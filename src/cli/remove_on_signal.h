// Removes a temporary output file when the process is interrupted (SIGINT,
// SIGTERM, SIGHUP), then dies of the same signal. The writers already rename
// their temporary file into place only on success, so an interrupted run never
// leaves a half-written OUT; this also cleans up the temporary file itself.
// (SIGKILL cannot be caught: it leaves only the `OUT.tmp.*` file behind.)
#pragma once

#include <string>

namespace hifloat::cli {

class RemoveOnSignal {
 public:
  explicit RemoveOnSignal(const std::string& path);
  ~RemoveOnSignal();
  RemoveOnSignal(const RemoveOnSignal&) = delete;
  RemoveOnSignal& operator=(const RemoveOnSignal&) = delete;
};

}  // namespace hifloat::cli
