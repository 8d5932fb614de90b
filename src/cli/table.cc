#include <cmath>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "hifloat/error.h"
#include "hifloat/hif8.h"

namespace hifloat::cli {

namespace {

// Class, exponent and mantissa width of a HiF8 code, read off its bits as the
// spec's tables describe them (independently of the decoder).
struct Hif8Fields {
  const char* cls;
  std::string exponent;
  int mantissa_bits;
  unsigned mantissa;
};

Hif8Fields hif8_fields(uint8_t c) {
  const unsigned r = c & 0x7Fu;
  if (c == 0x80) return {"NaN", "-", 0, 0};
  if (r == 0x6F) return {"Inf", "-", 0, 0};
  if (r == 0x00) return {"zero", "-", 0, 0};
  if ((r & 0x78u) == 0) return {"denormal", std::to_string(static_cast<int>(r) - 23), 0, 0};
  if ((r & 0x78u) == 0x08) return {"dot D0", "0", 3, r & 7u};
  const int D = (r & 0x60u) == 0x60u ? 4 : (r & 0x60u) == 0x40u ? 3 : (r & 0x60u) == 0x20u ? 2 : 1;
  const int mb = D == 4 ? 1 : D == 3 ? 2 : 3;
  const unsigned field = (r >> mb) & ((1u << D) - 1u);
  const int mag = (1 << (D - 1)) + static_cast<int>(field & ((1u << (D - 1)) - 1u));
  static const char* names[] = {"", "dot D1", "dot D2", "dot D3", "dot D4"};
  return {names[D], std::to_string((field >> (D - 1)) ? -mag : mag), mb, r & ((1u << mb) - 1u)};
}

void print_hif8_table() {
  std::printf("%-5s %-9s %4s %-8s %s\n", "code", "class", "exp", "mantissa", "value");
  for (int c = 0; c < 256; ++c) {
    const Hif8Fields f = hif8_fields(static_cast<uint8_t>(c));
    std::string mant = "-";
    if (f.mantissa_bits > 0) {
      mant.clear();
      for (int b = f.mantissa_bits - 1; b >= 0; --b) mant += ((f.mantissa >> b) & 1u) ? '1' : '0';
    }
    const float v = hif8_decode(static_cast<uint8_t>(c));
    std::printf("0x%02X  %-9s %4s %-8s %.9g\n", c, f.cls, f.exponent.c_str(), mant.c_str(), v);
  }
}

}  // namespace

void register_table(CLI::App& app) {
  auto* cmd = app.add_subcommand("table", "Print every code of an 8-bit format with its value");
  static std::string format;
  cmd->add_option("FORMAT", format, "Format whose codes to list (hif8)")->required();
  cmd->callback([] {
    if (format != "hif8") throw Error("table: format '" + format + "' has no code table here; use hif8");
    print_hif8_table();
  });
}

}  // namespace hifloat::cli
