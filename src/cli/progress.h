// A one-line progress bar on stderr (tensors, bytes, rate, ETA), drawn only
// when stderr is a terminal: pipes, logs and CI stay quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hifloat::cli {

class Progress {
 public:
  Progress(std::string verb, uint64_t total_items, uint64_t total_bytes);
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Called before working on an item (shows its name) and after it.
  void start(const std::string& item);
  void done(uint64_t bytes);

 private:
  void draw(bool force);

  bool enabled_;
  std::string verb_;
  uint64_t total_items_, total_bytes_;
  uint64_t items_ = 0, bytes_ = 0;
  std::string current_;
  std::chrono::steady_clock::time_point begin_, last_draw_;
};

// "1.5 GB", "12.0 MB", "512 B".
std::string human_bytes(double bytes);

}  // namespace hifloat::cli
