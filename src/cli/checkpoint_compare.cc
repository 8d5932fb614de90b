// hifloat compare CHECKPOINT... : the quantisation error of every float tensor
// in each format, as a table, JSON, CSV and a PNG chart. Tensors are visited
// one at a time straight from the memory-mapped files (checkpoint_plan.h).
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/checkpoint_plan.h"
#include "cli/checkpoint_report.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"

namespace hifloat::cli {

namespace {

// The default comparison: HiF4 against the other 4-bit formats, HiF8 against FP8.
constexpr const char* kDefaultFormats = "hif4,nvfp4,mxfp4,int4,hif8,fp8_e4m3";

struct CompareArgs {
  std::vector<std::string> checkpoints;
  std::string formats;
  std::string axis = "last";
  std::string include, exclude, recipe;
  std::string report, csv, plot;
  int threads = 0;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::stringstream ss(s);
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Formats split at commas that start a new format name: "int4:group=64,hif8"
// has options separated by commas too, so a piece containing '=' but no ':'
// continues the previous format's options.
std::vector<FormatSpec> parse_format_list(const std::string& list, bool defaults) {
  std::vector<std::string> pieces;
  for (const std::string& p : split_commas(list)) {
    if (!pieces.empty() && p.find('=') != std::string::npos && p.find(':') == std::string::npos) {
      pieces.back() += "," + p;
    } else {
      pieces.push_back(p);
    }
  }
  std::vector<FormatSpec> out;
  for (const std::string& p : pieces) {
    FormatSpec spec = parse_format(p);
    try {
      (void)make_codec(spec);
    } catch (const Error& e) {
      if (!defaults) throw;
      std::fprintf(stderr, "hifloat: note: leaving out default format %s (%s)\n", p.c_str(), e.what());
      continue;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

CellResult evaluate(const FormatSpec& spec, std::span<const float> x, const StTensorInfo& t, int axis,
                    std::vector<float>& q, const ExecOptions& exec) {
  CellResult cell;
  cell.format = spec.str();
  cell.axis = axis;
  cell.packed_bytes = make_codec(spec)->packed_bytes(t.shape, axis);
  q.resize(x.size());
  fake_quant(spec, x.data(), t.shape, axis, q.data(), exec);
  cell.metrics = error_metrics(x, q);
  return cell;
}

void compare_cmd(const CompareArgs& args) {
  SelectOptions sel;
  sel.include = args.include;
  sel.exclude = args.exclude;
  sel.axis = parse_axis_choice(args.axis);
  if (!args.recipe.empty()) sel.recipe = Recipe::load(args.recipe);
  // With a recipe and no --formats, only the recipe's choice is evaluated.
  const bool defaults = args.formats.empty() && !sel.recipe;
  const std::vector<FormatSpec> formats =
      parse_format_list(args.formats.empty() ? (sel.recipe ? "" : kDefaultFormats) : args.formats, defaults);
  if (formats.empty() && !sel.recipe) throw Error("--formats: no format to compare");

  const Checkpoint ckpt(args.checkpoints);
  const std::vector<PlannedTensor> plan = plan_tensors(ckpt, sel);

  CompareReport report;
  for (const auto& f : ckpt.files()) report.files.push_back(f->name());
  for (const FormatSpec& f : formats) report.columns.push_back(f.str());
  if (sel.recipe) report.columns.push_back("recipe");
  report.axis = sel.axis.str();

  uint64_t work_bytes = 0, work_items = 0;
  for (const PlannedTensor& p : plan) {
    if (p.action == TensorAction::kQuantize) {
      work_bytes += p.entry.tensor->nbytes();
      ++work_items;
    }
  }
  ExecOptions exec;
  exec.threads = args.threads;
  Progress progress("compare", work_items, work_bytes);
  std::vector<float> xbuf, q;
  for (const PlannedTensor& p : plan) {
    if (p.action == TensorAction::kFiltered) continue;
    const StTensorInfo& t = *p.entry.tensor;
    const SafetensorsReader& file = *p.entry.file;
    TensorResult r{t.name, file.name(), st_dtype_name(t.dtype), t.shape,
                   static_cast<uint64_t>(num_elements(t.shape)), t.nbytes(), false, p.note, {}};
    if (p.action != TensorAction::kQuantize) {
      report.tensors.push_back(std::move(r));
      continue;
    }
    progress.start(t.name);
    const std::span<const float> x = tensor_as_float(file, t, xbuf);
    if (x.data() == xbuf.data()) file.release(t);  // converted: the mapped bytes are done with
    r.compared = true;
    // A format used by several columns (a recipe choosing one of --formats) is evaluated once.
    std::map<std::pair<std::string, int>, CellResult> done;
    auto cell_for = [&](const FormatSpec& spec, AxisChoice axis_choice) {
      const int axis = resolve_axis(t.shape, axis_choice, t.name);
      const auto key = std::make_pair(spec.full_str(), axis);
      auto it = done.find(key);
      if (it == done.end()) it = done.emplace(key, evaluate(spec, x, t, axis, q, exec)).first;
      return it->second;
    };
    try {
      for (const FormatSpec& f : formats) r.cells.emplace_back(cell_for(f, sel.axis));
      if (sel.recipe) r.cells.emplace_back(cell_for(*p.recipe_format, p.axis));
    } catch (const Error& e) {
      throw Error(file.name() + ": tensor '" + t.name + "': " + e.what());
    }
    file.release(t);
    report.tensors.push_back(std::move(r));
    progress.done(t.nbytes());
  }
  report.summarize();
  report.print_table(stdout);
  std::fflush(stdout);

  const std::string json = report.to_json();
  if (!args.report.empty()) write_text_file_atomic(args.report, json);
  if (!args.csv.empty()) write_text_file_atomic(args.csv, report.to_csv());
  if (!args.plot.empty()) {
    std::string json_path = args.report;
    std::string tmp_json;
    if (json_path.empty()) {
      tmp_json = args.plot + ".report.json.tmp";
      write_text_file_atomic(tmp_json, json);
      json_path = tmp_json;
    }
    try {
      plot_report(json_path, args.plot);
    } catch (...) {
      if (!tmp_json.empty()) std::remove(tmp_json.c_str());
      throw;
    }
    if (!tmp_json.empty()) std::remove(tmp_json.c_str());
  }
}

}  // namespace

void register_checkpoint_compare(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare", "Quantization error of every float tensor of a safetensors checkpoint, per format");
  cmd->add_option("checkpoint", args->checkpoints, "safetensors files, or a sharded checkpoint's index.json")
      ->required();
  cmd->add_option("--formats", args->formats,
                  std::string("comma-separated format strings (default: ") + kDefaultFormats + ")");
  cmd->add_option("--axis", args->axis, "blocking axis: last or 0 (default: last)");
  cmd->add_option("--include", args->include, "only tensors whose name matches this regex");
  cmd->add_option("--exclude", args->exclude, "leave out tensors whose name matches this regex");
  cmd->add_option("--recipe", args->recipe, "recipe JSON: adds a 'recipe' column (its format per tensor)");
  cmd->add_option("--report", args->report, "write the full report as JSON");
  cmd->add_option("--csv", args->csv, "write one CSV row per tensor and format");
  cmd->add_option("--plot", args->plot, "draw SQNR per tensor per format as a PNG (python3 + matplotlib)");
  cmd->add_option("--threads", args->threads, "worker threads (0 = all cores)");
  cmd->callback([args] { compare_cmd(*args); });
}

}  // namespace hifloat::cli
