#include "cli/checkpoint_report.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "hifloat/error.h"

namespace hifloat::cli {

namespace {

using json = nlohmann::json;

// JSON has no infinities: they are written as null (documented in docs/checkpoint.md).
json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string csv_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// The error fields shared by a cell and a column summary, added to `j`.
void add_metrics(json& j, const ErrorMetrics& m, uint64_t packed_bytes) {
  j["packed_bytes"] = packed_bytes;
  j["bits_per_value"] = bits_per_value(packed_bytes, m.elements);
  j["rel_mse"] = number(m.rel_mse);
  j["sqnr_db"] = number(m.sqnr_db);
  j["cosine"] = number(m.cosine);
  j["max_abs_err"] = number(m.max_abs_err);
  j["zero_share"] = m.zero_share;
  j["nonfinite"] = m.nonfinite;
}

json metrics_json(const CellResult& c) {
  json j = {{"format", c.format}, {"axis", c.axis}};
  add_metrics(j, c.metrics, c.packed_bytes);
  return j;
}

}  // namespace

void CompareReport::summarize() {
  summary.clear();
  for (size_t c = 0; c < columns.size(); ++c) {
    ColumnSummary s;
    s.column = columns[c];
    ErrorMetrics& m = s.metrics;
    double w_rel = 0, w_cos = 0, flushed = 0;
    for (const TensorResult& t : tensors) {
      if (!t.compared || c >= t.cells.size() || !t.cells[c]) continue;
      const CellResult& cell = *t.cells[c];
      const double n = static_cast<double>(cell.metrics.elements);
      ++s.tensors;
      m.elements += cell.metrics.elements;
      s.packed_bytes += cell.packed_bytes;
      w_rel += n * cell.metrics.rel_mse;
      w_cos += n * cell.metrics.cosine;
      flushed += n * cell.metrics.zero_share;
      m.max_abs_err = std::max(m.max_abs_err, cell.metrics.max_abs_err);
      m.nonfinite += cell.metrics.nonfinite;
    }
    if (m.elements > 0) {
      const double n = static_cast<double>(m.elements);
      m.rel_mse = w_rel / n;
      m.sqnr_db = m.rel_mse > 0 ? -10.0 * std::log10(m.rel_mse) : std::numeric_limits<double>::infinity();
      m.cosine = w_cos / n;
      m.zero_share = flushed / n;
      s.bit_class = static_cast<int>(std::floor(s.bits_per_value() + 1e-9));
    }
    summary.push_back(s);
  }
  // The best column of each bit class: highest SQNR (NaN never wins).
  for (ColumnSummary& s : summary) {
    if (s.metrics.elements == 0 || std::isnan(s.metrics.sqnr_db)) continue;
    bool best = true;
    for (const ColumnSummary& o : summary) {
      if (&o != &s && o.metrics.elements > 0 && o.bit_class == s.bit_class && o.metrics.sqnr_db > s.metrics.sqnr_db) {
        best = false;
      }
    }
    s.best = best;
  }
}

std::string CompareReport::to_json() const {
  json j;
  j["hifloat_compare_report"] = 1;
  j["files"] = files;
  j["columns"] = columns;
  j["axis"] = axis;
  json ts = json::array();
  for (const TensorResult& t : tensors) {
    json jt = {{"name", t.name}, {"file", t.file},         {"dtype", t.dtype},       {"shape", t.shape},
               {"elements", t.elements}, {"bytes", t.bytes}, {"compared", t.compared}, {"note", t.note}};
    json results = json::object();
    for (size_t c = 0; c < t.cells.size() && c < columns.size(); ++c) {
      if (t.cells[c]) results[columns[c]] = metrics_json(*t.cells[c]);
    }
    jt["results"] = results;
    ts.push_back(jt);
  }
  j["tensors"] = ts;
  json sm = json::array();
  for (const ColumnSummary& s : summary) {
    json js = {{"column", s.column}, {"tensors", s.tensors}, {"elements", s.metrics.elements}};
    add_metrics(js, s.metrics, s.packed_bytes);
    js["bit_class"] = s.bit_class;
    js["best"] = s.best;
    sm.push_back(js);
  }
  j["summary"] = sm;
  return j.dump(1) + "\n";
}

std::string CompareReport::to_csv() const {
  std::string out =
      "tensor,file,dtype,shape,elements,column,format,axis,bits_per_value,rel_mse,sqnr_db,cosine,max_abs_err,"
      "zero_share,nonfinite\n";
  for (const TensorResult& t : tensors) {
    for (size_t c = 0; c < t.cells.size() && c < columns.size(); ++c) {
      if (!t.cells[c]) continue;
      const CellResult& cell = *t.cells[c];
      const ErrorMetrics& m = cell.metrics;
      std::string shape;
      for (size_t i = 0; i < t.shape.size(); ++i) shape += (i ? "x" : "") + std::to_string(t.shape[i]);
      out += csv_field(t.name) + "," + csv_field(t.file) + "," + t.dtype + "," + shape + "," +
             std::to_string(t.elements) + "," + csv_field(columns[c]) + "," + csv_field(cell.format) + "," +
             std::to_string(cell.axis) + "," + csv_number(cell.bits_per_value()) + "," + csv_number(m.rel_mse) +
             "," + csv_number(m.sqnr_db) + "," + csv_number(m.cosine) + "," + csv_number(m.max_abs_err) + "," +
             csv_number(m.zero_share) + "," + std::to_string(m.nonfinite) + "\n";
    }
  }
  return out;
}

void write_text_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(path + ": cannot create (" + std::strerror(errno) + ")");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    throw Error(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename the temporary file into place (" + std::strerror(errno) + ")");
  }
}

}  // namespace hifloat::cli
