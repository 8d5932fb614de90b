// Subcommand registration, one function per source file in src/cli/.
#pragma once

#include <CLI/CLI.hpp>

namespace hifloat::cli {

void register_table(CLI::App& app);    // table.cc
void register_convert(CLI::App& app);  // convert.cc: fake-quant, encode, decode
void register_formats(CLI::App& app);  // formats.cc
void register_demo(CLI::App& app);     // demo.cc
void register_checkpoint_compare(CLI::App& app);   // checkpoint_compare.cc: compare
void register_checkpoint_quantize(CLI::App& app);  // checkpoint_quantize.cc: quantize, dequantize
void register_checkpoint_info(CLI::App& app);      // checkpoint_info.cc: info
void register_matmul(CLI::App& app);               // matmul.cc

}  // namespace hifloat::cli
