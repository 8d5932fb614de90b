// Removes a temporary output file when the process is interrupted (SIGINT,
// SIGTERM, SIGHUP), then dies of the same signal. The writers already rename
// their temporary file into place only on success, so an interrupted run never
// leaves a half-written OUT; this also cleans up the temporary file itself.
// (SIGKILL cannot be caught: it leaves only the `OUT.tmp.*` file behind.)
//
// Construct the guard *before* the writer creates its file and arm() it with the
// file's name after: in between, the signals are held on this thread, so none can
// land after the file exists but before the guard knows its name. (Worker threads
// of the kernel pool never take these signals; see thread_pool.cc.)
#pragma once

#include <signal.h>

#include <string>

namespace hifloat::cli {

class RemoveOnSignal {
 public:
  RemoveOnSignal();  // installs the handler, holds the signals until arm()
  ~RemoveOnSignal();
  RemoveOnSignal(const RemoveOnSignal&) = delete;
  RemoveOnSignal& operator=(const RemoveOnSignal&) = delete;

  // From now on an interrupt removes `path`; delivers any signal held meanwhile.
  void arm(const std::string& path);

 private:
  sigset_t old_mask_;
  bool holding_ = true;
};

}  // namespace hifloat::cli
