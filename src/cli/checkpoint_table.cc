// The readable table of `hifloat compare`: SQNR per tensor and column, then
// the size-weighted summary per column with the best of each bit class marked.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/checkpoint_report.h"

namespace hifloat::cli {

namespace {

constexpr size_t kMaxName = 44;

// Long names keep their informative tail: "...layer.11.attention.self.query.weight".
std::string fit(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  return "..." + s.substr(s.size() - (width - 3));
}

std::string fmt_db(double v) {
  if (std::isinf(v)) return v > 0 ? "exact" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string compact_shape(const Shape& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out.empty() ? "scalar" : out;
}

}  // namespace

void CompareReport::print_table(std::FILE* out) const {
  size_t name_w = 6;
  for (const TensorResult& t : tensors) name_w = std::max(name_w, std::min(kMaxName, t.name.size()));
  std::vector<size_t> col_w;
  for (const std::string& c : columns) col_w.push_back(std::max<size_t>(8, std::min<size_t>(c.size(), 20)));

  std::fprintf(out, "SQNR in dB per tensor (higher is better; 'exact' = no error)\n");
  std::fprintf(out, "%-*s  %-5s %-11s", static_cast<int>(name_w), "tensor", "dtype", "shape");
  for (size_t c = 0; c < columns.size(); ++c) {
    std::fprintf(out, " %*s", static_cast<int>(col_w[c]), fit(columns[c], col_w[c]).c_str());
  }
  std::fprintf(out, "\n");
  size_t skipped = 0;
  for (const TensorResult& t : tensors) {
    std::fprintf(out, "%-*s  %-5s %-11s", static_cast<int>(name_w), fit(t.name, name_w).c_str(), t.dtype.c_str(),
                 compact_shape(t.shape).c_str());
    if (!t.compared) {
      ++skipped;
      std::fprintf(out, " skipped: %s\n", t.note.c_str());
      continue;
    }
    for (size_t c = 0; c < columns.size(); ++c) {
      const bool has = c < t.cells.size() && t.cells[c];
      std::fprintf(out, " %*s", static_cast<int>(col_w[c]), has ? fmt_db(t.cells[c]->metrics.sqnr_db).c_str() : "-");
    }
    std::fprintf(out, "\n");
  }

  uint64_t elements = 0, compared = 0;
  for (const TensorResult& t : tensors) {
    if (t.compared) {
      ++compared;
      elements += t.elements;
    }
  }
  std::fprintf(out, "\nSummary per format: %llu tensors compared (%llu values), %zu skipped; size-weighted\n",
               static_cast<unsigned long long>(compared), static_cast<unsigned long long>(elements), skipped);
  size_t fw = 6;
  for (const ColumnSummary& s : summary) fw = std::max(fw, s.column.size());
  std::fprintf(out, "%-*s %6s %10s %8s %9s %11s %7s %7s\n", static_cast<int>(fw), "format", "bits", "rel MSE",
               "SQNR dB", "cosine", "max |err|", "zeros", "NaN/Inf");
  for (const ColumnSummary& s : summary) {
    std::fprintf(out, "%-*s %6.3f %10.3e %8s %9.6f %11.4g %6.2f%% %7llu", static_cast<int>(fw), s.column.c_str(),
                 s.bits_per_value(), s.metrics.rel_mse, fmt_db(s.metrics.sqnr_db).c_str(), s.metrics.cosine,
                 s.metrics.max_abs_err, 100.0 * s.metrics.zero_share,
                 static_cast<unsigned long long>(s.metrics.nonfinite));
    if (s.best) std::fprintf(out, "  <- best %d-bit", s.bit_class);
    std::fprintf(out, "\n");
  }
  std::fprintf(out,
               "(rel MSE = sum (q-x)^2 / sum x^2; zeros = nonzero inputs quantized to 0; best = highest SQNR among "
               "formats with the same whole number of bits per value)\n");
}

}  // namespace hifloat::cli
