// The table of formats of spec/README.md: names, aliases, options, sizes.
#include <charconv>

#include "hifloat/format.h"

namespace hifloat {

namespace {

std::string validate_group(std::string_view value) {
  int g = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), g);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || g < 2 || g % 2 != 0 ||
      g > (1 << 20) || value[0] == '0') {
    return "an even integer >= 2 (e.g. 32, 64, 128)";
  }
  return {};
}

std::vector<OptionDef> hif4_options() {
  return {{"rounding", {"away", "even", "stochastic"}, "away", nullptr}, {"seed", {}, "0", validate_uint64}};
}

std::vector<FormatInfo> make_registry() {
  return {
      {"hif8", {}, {{"rounding", {"away", "even", "zero", "stochastic"}, "away", nullptr},
                    {"seed", {}, "0", validate_uint64},
                    {"overflow", {"inf", "saturate"}, "inf", nullptr}},
       "8", "HiFloat8: tapered 8-bit float (dot-prefix exponent width), elementwise"},
      {"hif4", {"hifx4"}, hif4_options(), "4.5",
       "HiFloat4: 64-value units, E6M2 scale + 8 + 16 one-bit micro-exponents, S1P2 elements"},
      {"hifx2", {}, hif4_options(), "2.5", "HiFloat family, 1 magnitude bit per element"},
      {"hifx3", {}, hif4_options(), "3.5", "HiFloat family, 2 magnitude bits per element"},
      {"hifx5", {}, hif4_options(), "5.5", "HiFloat family, 4 magnitude bits per element"},
      {"nvfp4", {}, {{"tensor_scale", {"on", "off"}, "on", nullptr}}, "4.5",
       "NVIDIA NVFP4: 16-value blocks, E4M3 scale, E2M1 elements, FP32 tensor scale"},
      {"mxfp4", {}, {}, "4.25", "OCP MX: 32-value blocks, E8M0 scale, E2M1 elements"},
      {"mxfp6_e2m3", {}, {}, "6.25", "OCP MX: 32-value blocks, E8M0 scale, E2M3 elements"},
      {"mxfp6_e3m2", {}, {}, "6.25", "OCP MX: 32-value blocks, E8M0 scale, E3M2 elements"},
      {"mxfp8_e4m3", {}, {}, "8.25", "OCP MX: 32-value blocks, E8M0 scale, E4M3 elements"},
      {"mxfp8_e5m2", {}, {}, "8.25", "OCP MX: 32-value blocks, E8M0 scale, E5M2 elements"},
      {"mxint8", {}, {}, "8.25", "OCP MX: 32-value blocks, E8M0 scale, int8 elements (n/64)"},
      {"fp8_e4m3", {}, {{"overflow", {"saturate", "nan"}, "saturate", nullptr}}, "8",
       "OCP FP8 E4M3 (E4M3FN, max 448, no Inf), elementwise"},
      {"fp8_e5m2", {}, {{"overflow", {"inf", "saturate"}, "inf", nullptr}}, "8", "OCP FP8 E5M2, elementwise"},
      {"int8", {}, {}, "8 + 32/L", "symmetric int8, one FP32 scale per line along the axis"},
      {"int4", {}, {{"group", {}, "32", validate_group}}, "4 + 16/G",
       "symmetric int4, one FP16 scale per group of G values"},
  };
}

}  // namespace

const std::vector<FormatInfo>& format_registry() {
  static const std::vector<FormatInfo> registry = make_registry();
  return registry;
}

}  // namespace hifloat
