#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace hifloat::cli {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

Progress::Progress(std::string verb, uint64_t total_items, uint64_t total_bytes)
    : enabled_(::isatty(STDERR_FILENO) == 1),
      verb_(std::move(verb)),
      total_items_(total_items),
      total_bytes_(total_bytes),
      begin_(std::chrono::steady_clock::now()),
      last_draw_(begin_) {}

Progress::~Progress() {
  if (enabled_) std::fprintf(stderr, "\r\033[K");
}

void Progress::start(const std::string& item) {
  current_ = item;
  draw(false);
}

void Progress::done(uint64_t bytes) {
  ++items_;
  bytes_ += bytes;
  draw(items_ == total_items_);
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - begin_).count();
  const double frac = total_bytes_ ? static_cast<double>(bytes_) / static_cast<double>(total_bytes_) : 1.0;
  constexpr int kBar = 20;
  const int filled = std::clamp(static_cast<int>(frac * kBar), 0, kBar);
  std::string line = verb_ + " [" + std::string(static_cast<size_t>(filled), '#') +
                     std::string(static_cast<size_t>(kBar - filled), '.') + "] ";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%llu/%llu tensors  %s/%s", static_cast<unsigned long long>(items_),
                static_cast<unsigned long long>(total_items_), human_bytes(static_cast<double>(bytes_)).c_str(),
                human_bytes(static_cast<double>(total_bytes_)).c_str());
  line += buf;
  if (bytes_ > 0 && secs > 0.2) {
    const double eta = secs * (1.0 - frac) / std::max(frac, 1e-9);
    std::snprintf(buf, sizeof buf, "  %s/s  ETA %d:%02d", human_bytes(static_cast<double>(bytes_) / secs).c_str(),
                  static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    line += buf;
  }
  line += "  " + current_;
  struct winsize ws {};
  const size_t width = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  if (line.size() >= width) line.resize(width - 1);
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
}

}  // namespace hifloat::cli
