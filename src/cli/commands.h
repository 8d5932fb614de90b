// Subcommand registration, one function per source file in src/cli/.
#pragma once

#include <CLI/CLI.hpp>

namespace hifloat::cli {

void register_table(CLI::App& app);    // table.cc
void register_convert(CLI::App& app);  // convert.cc: fake-quant, encode, decode
void register_formats(CLI::App& app);  // formats.cc
void register_demo(CLI::App& app);     // demo.cc

}  // namespace hifloat::cli
