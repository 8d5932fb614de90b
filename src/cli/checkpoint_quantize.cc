// hifloat quantize IN OUT --format F | --recipe R  and  hifloat dequantize IN OUT:
// whole checkpoints to and from packed tensors (docs/formats.md, "Packed tensors
// in safetensors files"). Tensors are streamed one at a time from the mapped
// input into a temporary file renamed into place at the end, so memory stays
// bounded by the largest tensor and an interrupted run leaves no OUT.
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/checkpoint_plan.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/remove_on_signal.h"
#include "hifloat/checkpoint.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/packed_safetensors.h"

namespace hifloat::cli {

namespace {

struct QuantizeArgs {
  std::string in, out, format, recipe, axis = "last", include, exclude;
  bool keep_dtype = false;
  int threads = 0;
};

struct DequantizeArgs {
  std::string in, out;
  bool keep_dtype = false;
};

bool is_hifloat_key(const std::string& key) { return key.rfind("hifloat", 0) == 0; }

// Metadata of all input files (first one wins on a clash), optionally without hifloat's own entries.
std::map<std::string, std::string> merged_metadata(const Checkpoint& ckpt, bool drop_hifloat) {
  std::map<std::string, std::string> out;
  for (const auto& f : ckpt.files()) {
    for (const auto& [k, v] : f->metadata()) {
      if (!(drop_hifloat && is_hifloat_key(k))) out.emplace(k, v);
    }
  }
  return out;
}

void quantize_cmd(const QuantizeArgs& args) {
  if (args.format.empty() == args.recipe.empty()) throw Error("quantize: give exactly one of --format and --recipe");
  SelectOptions sel;
  sel.include = args.include;
  sel.exclude = args.exclude;
  sel.axis = parse_axis_choice(args.axis);
  if (!args.recipe.empty()) sel.recipe = Recipe::load(args.recipe);
  const std::optional<FormatSpec> format =
      args.format.empty() ? std::nullopt : std::optional<FormatSpec>(parse_format(args.format));

  const Checkpoint ckpt({args.in});
  const std::vector<PlannedTensor> plan = plan_tensors(ckpt, sel);

  // The whole layout is declared up front (the header comes first in the file).
  SafetensorsLayout layout;
  layout.metadata = merged_metadata(ckpt, false);
  std::vector<int> axes(plan.size(), 0);
  uint64_t total = 0, in_q = 0, out_q = 0, n_q = 0;
  std::vector<std::string> copied;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedTensor& p = plan[i];
    const StTensorInfo& t = *p.entry.tensor;
    total += t.nbytes();
    if (p.action != TensorAction::kQuantize) {
      layout.add(t.name, t.dtype, t.shape);
      if (p.action != TensorAction::kFiltered) copied.push_back(t.name + " (" + p.note + ")");
      continue;
    }
    const FormatSpec& spec = p.recipe_format ? *p.recipe_format : *format;
    axes[i] = resolve_axis(t.shape, p.axis, t.name);
    ++n_q;
    in_q += t.nbytes();
    if (args.keep_dtype) {
      layout.add(t.name, t.dtype, t.shape);
      out_q += t.nbytes();
    } else {
      try {
        out_q += add_packed(layout, t.name, spec, t.shape, axes[i], t.dtype);
      } catch (const Error& e) {
        throw Error(p.entry.file->name() + ": tensor '" + t.name + "': " + e.what());
      }
    }
  }

  RemoveOnSignal guard;
  SafetensorsWriter writer(args.out, layout);
  guard.arm(writer.temp_path());
  Progress progress("quantize", plan.size(), total);
  ExecOptions exec;
  exec.threads = args.threads;
  std::vector<float> xbuf, q;
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedTensor& p = plan[i];
    const StTensorInfo& t = *p.entry.tensor;
    const SafetensorsReader& file = *p.entry.file;
    progress.start(t.name);
    if (p.action != TensorAction::kQuantize) {
      writer.write_tensor(t.name, file.data(t));
    } else {
      const FormatSpec& spec = p.recipe_format ? *p.recipe_format : *format;
      const std::span<const float> x = tensor_as_float(file, t, xbuf);
      if (x.data() == xbuf.data()) file.release(t);
      try {
        if (args.keep_dtype) {
          q.resize(x.size());
          fake_quant(spec, x.data(), t.shape, axes[i], q.data(), exec);
          float_to_dtype_bytes(q, t.dtype, bytes);
          writer.write_tensor(t.name, bytes);
        } else {
          const Packed packed = encode(spec, x.data(), t.shape, axes[i], exec);
          writer.write_tensor(t.name, packed.data);
        }
      } catch (const Error& e) {
        throw Error(file.name() + ": tensor '" + t.name + "': " + e.what());
      }
    }
    file.release(t);
    progress.done(t.nbytes());
  }
  writer.commit();
  std::printf("%s: %llu tensors quantized (%s -> %s%s), %zu copied unchanged\n", args.out.c_str(),
              static_cast<unsigned long long>(n_q), human_bytes(static_cast<double>(in_q)).c_str(),
              human_bytes(static_cast<double>(out_q)).c_str(), args.keep_dtype ? ", values kept in original dtype" : "",
              copied.size());
  for (const std::string& c : copied) std::printf("  skipped %s\n", c.c_str());
}

void dequantize_cmd(const DequantizeArgs& args) {
  const Checkpoint ckpt({args.in});
  SafetensorsLayout layout;
  layout.metadata = merged_metadata(ckpt, true);
  std::vector<std::optional<PackedTensorInfo>> packed;
  uint64_t total = 0;
  for (const Checkpoint::Entry& e : ckpt.entries()) {
    const StTensorInfo& t = *e.tensor;
    total += t.nbytes();
    if (is_packed(*e.file, t.name)) {
      PackedTensorInfo info = packed_info(*e.file, t.name);
      layout.add(t.name, args.keep_dtype ? info.dtype : StDType::F32, info.shape);
      packed.emplace_back(std::move(info));
    } else {
      layout.add(t.name, t.dtype, t.shape);
      packed.emplace_back();
    }
  }
  RemoveOnSignal guard;
  SafetensorsWriter writer(args.out, layout);
  guard.arm(writer.temp_path());
  Progress progress("dequantize", ckpt.entries().size(), total);
  std::vector<float> values;
  std::vector<uint8_t> bytes;
  size_t n_packed = 0;
  for (size_t i = 0; i < ckpt.entries().size(); ++i) {
    const Checkpoint::Entry& e = ckpt.entries()[i];
    const StTensorInfo& t = *e.tensor;
    progress.start(t.name);
    if (!packed[i]) {
      writer.write_tensor(t.name, e.file->data(t));
    } else {
      ++n_packed;
      values.resize(static_cast<size_t>(num_elements(packed[i]->shape)));
      decode_packed(*e.file, *packed[i], values);
      const StDType dtype = args.keep_dtype ? packed[i]->dtype : StDType::F32;
      float_to_dtype_bytes(values, dtype, bytes);
      writer.write_tensor(t.name, bytes);
    }
    e.file->release(t);
    progress.done(t.nbytes());
  }
  writer.commit();
  std::printf("%s: %zu packed tensors decoded to %s, %zu copied unchanged\n", args.out.c_str(), n_packed,
              args.keep_dtype ? "their original dtype" : "F32", ckpt.entries().size() - n_packed);
}

}  // namespace

void register_checkpoint_quantize(CLI::App& app) {
  auto q = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Quantize a safetensors checkpoint into packed tensors");
  cmd->add_option("in", q->in, "safetensors file, or a sharded checkpoint's index.json")->required();
  cmd->add_option("out", q->out, "output safetensors file (written atomically)")->required();
  cmd->add_option("--format", q->format, "format string for every float tensor (e.g. hif4)");
  cmd->add_option("--recipe", q->recipe, "recipe JSON choosing a format per tensor (instead of --format)");
  cmd->add_option("--axis", q->axis, "blocking axis: last or 0 (default: last)");
  cmd->add_option("--include", q->include, "only quantize tensors whose name matches this regex");
  cmd->add_option("--exclude", q->exclude, "do not quantize tensors whose name matches this regex");
  cmd->add_flag("--keep-dtype", q->keep_dtype,
                "write the quantized values unpacked, in each tensor's original dtype (fake quantization)");
  cmd->add_option("--threads", q->threads, "worker threads (0 = all cores)");
  cmd->callback([q] { quantize_cmd(*q); });

  auto d = std::make_shared<DequantizeArgs>();
  auto* dec = app.add_subcommand("dequantize", "Decode the packed tensors of a safetensors checkpoint to float");
  dec->add_option("in", d->in, "safetensors file with packed tensors")->required();
  dec->add_option("out", d->out, "output safetensors file (written atomically)")->required();
  dec->add_flag("--keep-dtype", d->keep_dtype, "write each tensor in the dtype recorded in its metadata, not F32");
  dec->callback([d] { dequantize_cmd(*d); });
}

}  // namespace hifloat::cli
