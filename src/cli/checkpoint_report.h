// The result of `hifloat compare`: per tensor and per column (a format, or
// "recipe" = each tensor in the format its recipe chose) the error metrics
// (hifloat/metrics.h), and a size-weighted summary per column. Written as a
// table (stdout), JSON, CSV, and a PNG chart (through scripts/plot_report.py).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/metrics.h"

namespace hifloat::cli {

// 8 · packed bytes / values (0 for no values).
inline double bits_per_value(uint64_t packed_bytes, uint64_t elements) {
  return elements ? 8.0 * static_cast<double>(packed_bytes) / static_cast<double>(elements) : 0;
}

struct CellResult {
  std::string format;  // canonical format string actually used
  int axis = 0;
  uint64_t packed_bytes = 0;
  ErrorMetrics metrics;

  double bits_per_value() const { return cli::bits_per_value(packed_bytes, metrics.elements); }
};

struct TensorResult {
  std::string name;
  std::string file;
  std::string dtype;
  Shape shape;
  uint64_t elements = 0;
  uint64_t bytes = 0;
  bool compared = false;
  std::string note;                            // why skipped, or the recipe rule
  std::vector<std::optional<CellResult>> cells;  // one per column (empty when skipped)
};

// Size-weighted over the tensors a column covers (weights = element counts):
//   rel_mse = sum n_i rel_mse_i / sum n_i;  sqnr_db = -10 log10(rel_mse);
//   cosine = sum n_i cos_i / sum n_i;  max_abs_err = max;  zero_share = flushed / elements;
//   nonfinite = sum;  bits_per_value = 8 * packed bytes / elements.
struct ColumnSummary {
  std::string column;
  uint64_t tensors = 0;
  uint64_t packed_bytes = 0;
  ErrorMetrics metrics{.cosine = 0};  // the size-weighted metrics above; all zero for an empty column
  int bit_class = 0;  // floor(bits_per_value): formats are ranked within a class
  bool best = false;  // highest SQNR in its bit class

  double bits_per_value() const { return cli::bits_per_value(packed_bytes, metrics.elements); }
};

struct CompareReport {
  std::vector<std::string> files;
  std::vector<std::string> columns;  // format strings, or "recipe"
  std::string axis;                  // "last" or an index
  std::vector<TensorResult> tensors;
  std::vector<ColumnSummary> summary;  // filled by summarize()

  void summarize();
  std::string to_json() const;
  std::string to_csv() const;
  void print_table(std::FILE* out) const;  // checkpoint_table.cc
};

// Writes text to `path` atomically (temporary file + rename).
void write_text_file_atomic(const std::string& path, const std::string& text);

// Runs scripts/plot_report.py (built into the CLI) on a report JSON file to
// draw `png_path`. Throws Error when python3 or matplotlib is missing.
void plot_report(const std::string& json_path, const std::string& png_path);

}  // namespace hifloat::cli
