// compare --plot: runs the plotter (scripts/plot_report.py, compiled into the
// CLI) with python3 and matplotlib. $HIFLOAT_PYTHON overrides the interpreter.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/checkpoint_report.h"
#include "hifloat/error.h"
#include "plot_report_script.h"

extern char** environ;

namespace hifloat::cli {

namespace {

// The script in a temporary file, removed when done.
class ScriptFile {
 public:
  ScriptFile() {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base && *base ? base : "/tmp") + "/hifloat_plot_XXXXXX";
    const int fd = ::mkstemp(path_.data());
    if (fd < 0) throw Error(path_ + ": cannot create a temporary file (" + std::strerror(errno) + ")");
    const size_t n = std::strlen(kPlotReportScript);
    const bool ok = ::write(fd, kPlotReportScript, n) == static_cast<ssize_t>(n);
    ::close(fd);
    if (!ok) {
      ::unlink(path_.c_str());
      throw Error(path_ + ": cannot write the plot script");
    }
  }
  ~ScriptFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

void plot_report(const std::string& json_path, const std::string& png_path) {
  const char* env = std::getenv("HIFLOAT_PYTHON");
  const std::string python = env && *env ? env : "python3";
  ScriptFile script;
  std::string a0 = python, a1 = script.path(), a2 = json_path, a3 = png_path;
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv, environ);
  if (rc != 0) {
    throw Error("--plot needs " + python + " with matplotlib, but " + python + " cannot be run (" +
                std::strerror(rc) + "); install python3 and matplotlib, or set HIFLOAT_PYTHON");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    throw Error("--plot needs matplotlib for " + python + " (pip install matplotlib)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(png_path + ": the plot script failed (see the messages above)");
  }
}

}  // namespace hifloat::cli
