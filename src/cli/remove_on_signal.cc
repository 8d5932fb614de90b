#include "cli/remove_on_signal.h"

#include <pthread.h>
#include <unistd.h>

#include <cstring>

#include "hifloat/error.h"

namespace hifloat::cli {

namespace {

// Only async-signal-safe state: a fixed buffer and a flag.
char g_path[4096];
volatile sig_atomic_t g_armed = 0;
bool g_installed = false;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_old[3];

extern "C" void remove_and_reraise(int sig) {
  if (g_armed) ::unlink(g_path);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

sigset_t guarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSignals) sigaddset(&set, s);
  return set;
}

}  // namespace

RemoveOnSignal::RemoveOnSignal() {
  if (g_installed) throw Error("internal: only one temporary file can be guarded at a time");
  const sigset_t set = guarded_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
  g_installed = true;
  struct sigaction sa {};
  sa.sa_handler = remove_and_reraise;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &g_old[i]);
}

void RemoveOnSignal::arm(const std::string& path) {
  if (path.size() >= sizeof g_path) throw Error(path + ": path too long");
  std::memcpy(g_path, path.c_str(), path.size() + 1);
  g_armed = 1;
  if (holding_) {
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    holding_ = false;
  }
}

RemoveOnSignal::~RemoveOnSignal() {
  // Handlers first: a signal still held (arm() never ran because creating the
  // file failed) then takes its default action once released.
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_old[i], nullptr);
  g_armed = 0;
  g_installed = false;
  if (holding_) ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace hifloat::cli
