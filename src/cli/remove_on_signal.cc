#include "cli/remove_on_signal.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "hifloat/error.h"

namespace hifloat::cli {

namespace {

// Only async-signal-safe state: a fixed buffer and a flag.
char g_path[4096];
volatile sig_atomic_t g_armed = 0;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_old[3];

extern "C" void remove_and_reraise(int sig) {
  if (g_armed) ::unlink(g_path);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

RemoveOnSignal::RemoveOnSignal(const std::string& path) {
  if (path.size() >= sizeof g_path) throw Error(path + ": path too long");
  if (g_armed) throw Error("internal: only one temporary file can be guarded at a time");
  std::memcpy(g_path, path.c_str(), path.size() + 1);
  g_armed = 1;
  struct sigaction sa {};
  sa.sa_handler = remove_and_reraise;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &g_old[i]);
}

RemoveOnSignal::~RemoveOnSignal() {
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_old[i], nullptr);
  g_armed = 0;
}

}  // namespace hifloat::cli
