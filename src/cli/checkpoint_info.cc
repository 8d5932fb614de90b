// hifloat info FILE...: the tensors of safetensors files (or a sharded
// checkpoint's index.json): dtype, shape, packed format, bits per value, bytes.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/checkpoint_plan.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "hifloat/checkpoint.h"
#include "hifloat/packed_safetensors.h"

namespace hifloat::cli {

namespace {

void info_cmd(const std::vector<std::string>& paths) {
  const Checkpoint ckpt(paths);
  for (const auto& f : ckpt.files()) {
    uint64_t bytes = 0;
    for (const StTensorInfo& t : f->tensors()) bytes += t.nbytes();
    std::printf("%s: %zu tensors, %s of data\n", f->name().c_str(), f->tensors().size(),
                human_bytes(static_cast<double>(bytes)).c_str());
    for (const auto& [k, v] : f->metadata()) {
      if (k.rfind("hifloat:", 0) != 0) std::printf("  metadata %s = %s\n", k.c_str(), v.c_str());
    }
  }
  struct Row {
    std::string name, dtype, shape, format, bits;
    uint64_t bytes;
  };
  std::vector<Row> rows;
  uint64_t total = 0, packed_bytes = 0, n_packed = 0;
  for (const Checkpoint::Entry& e : ckpt.entries()) {
    const StTensorInfo& t = *e.tensor;
    total += t.nbytes();
    char bits[32];
    if (is_packed(*e.file, t.name)) {
      const PackedTensorInfo p = packed_info(*e.file, t.name);
      const auto n = static_cast<double>(num_elements(p.shape));
      std::snprintf(bits, sizeof bits, "%.3f", n > 0 ? 8.0 * static_cast<double>(p.nbytes) / n : 0.0);
      rows.push_back({t.name, std::string("U8<-") + st_dtype_name(p.dtype), shape_string(p.shape),
                      p.format.str() + " (axis " + std::to_string(p.axis) + ")", bits, t.nbytes()});
      packed_bytes += t.nbytes();
      ++n_packed;
    } else {
      std::snprintf(bits, sizeof bits, "%zu", 8 * st_dtype_size(t.dtype));
      rows.push_back({t.name, st_dtype_name(t.dtype), shape_string(t.shape), "-", bits, t.nbytes()});
    }
  }
  size_t wn = 6, wd = 5, ws = 5, wf = 6;
  for (const Row& r : rows) {
    wn = std::max(wn, r.name.size());
    wd = std::max(wd, r.dtype.size());
    ws = std::max(ws, r.shape.size());
    wf = std::max(wf, r.format.size());
  }
  const auto W = [](size_t w) { return static_cast<int>(w); };
  std::printf("%-*s  %-*s  %-*s  %-*s  %6s  %12s\n", W(wn), "tensor", W(wd), "dtype", W(ws), "shape", W(wf),
              "format", "bits", "bytes");
  for (const Row& r : rows) {
    std::printf("%-*s  %-*s  %-*s  %-*s  %6s  %12llu\n", W(wn), r.name.c_str(), W(wd), r.dtype.c_str(), W(ws),
                r.shape.c_str(), W(wf), r.format.c_str(), r.bits.c_str(), static_cast<unsigned long long>(r.bytes));
  }
  std::printf("total: %zu tensors (%llu packed, %s), %s\n", rows.size(), static_cast<unsigned long long>(n_packed),
              human_bytes(static_cast<double>(packed_bytes)).c_str(), human_bytes(static_cast<double>(total)).c_str());
}

}  // namespace

void register_checkpoint_info(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("info", "List the tensors of safetensors files: dtype, shape, packed format, bytes");
  cmd->add_option("file", *paths, "safetensors files, or a sharded checkpoint's index.json")->required();
  cmd->callback([paths] { info_cmd(*paths); });
}

}  // namespace hifloat::cli
