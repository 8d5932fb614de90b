// The main job on built-in data: the HiF8 code table, then a built-in sample
// converted under each rounding mode.
#include <cstdio>
#include <vector>

#include "cli/commands.h"
#include "hifloat/hif8.h"

namespace hifloat::cli {

void register_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Show HiF8 on built-in sample values");
  cmd->callback([] {
    const std::vector<double> sample = {0.0,    -0.0,  1.0,      1.0625,  -3.3,    0.1,     15.5,   18.0,
                                        240.0,  1000., 32768.0,  40960.0, 1e30,    0x1p-23, 0x1.8p-16,
                                        3.14159265358979, -2.718281828459045};
    const struct {
      const char* name;
      Rounding r;
    } modes[] = {{"away", Rounding::kAway}, {"even", Rounding::kEven}, {"zero", Rounding::kZero}};
    std::printf("%-22s", "input");
    for (const auto& m : modes) std::printf("  %-18s", m.name);
    std::printf("\n");
    for (double x : sample) {
      std::printf("%-22.17g", x);
      for (const auto& m : modes) {
        const uint8_t c = hif8_encode(x, m.r, Overflow::kInf);
        std::printf("  0x%02X %-13.9g", c, hif8_decode(c));
      }
      std::printf("\n");
    }
  });
}

}  // namespace hifloat::cli
