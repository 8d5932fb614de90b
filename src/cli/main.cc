// The `hifloat` command-line tool. Each subcommand lives in its own file and
// registers itself here; errors become one line on stderr and exit code 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "hifloat/error.h"

int main(int argc, char** argv) {
  CLI::App app{"hifloat: HiFloat8/HiFloat4 and baseline low-precision formats"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  // Usage errors, like all others, are one line on stderr.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("hifloat: error: ") + e.what() + " (run with --help for usage)\n";
  });
  hifloat::cli::register_table(app);
  hifloat::cli::register_convert(app);
  hifloat::cli::register_formats(app);
  hifloat::cli::register_demo(app);
  hifloat::cli::register_checkpoint_compare(app);
  hifloat::cli::register_checkpoint_quantize(app);
  hifloat::cli::register_checkpoint_info(app);
  hifloat::cli::register_matmul(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const hifloat::Error& e) {
    std::fprintf(stderr, "hifloat: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hifloat: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
