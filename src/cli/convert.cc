// fake-quant, encode and decode: .npy in and out; packed safetensors files via cli/packed.h.
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/packed.h"
#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/hif8_array.h"
#include "hifloat/npy.h"

namespace hifloat::cli {

namespace {

struct ConvertArgs {
  std::string format;
  std::string in;
  std::string out;
  int axis = -1;
};

// decode takes [FORMAT] IN OUT: FORMAT only for .npy codes.
struct DecodeArgs {
  std::vector<std::string> positionals;
  std::string tensor;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void fake_quant_cmd(const ConvertArgs& args) {
  const FormatSpec spec = parse_format(args.format);
  const NpyArray a = read_float_npy(args.in);
  std::vector<float> out(a.num_elements());
  if (spec.name == "hif8" && a.dtype == DType::kFloat64) {
    // float64 converts directly, without a double rounding through float32.
    const Hif8Options opt = hif8_options(spec);
    const std::vector<double> x = to_float64(a);
    for (size_t i = 0; i < x.size(); ++i) out[i] = hif8_decode(hif8_encode(x[i], opt, i));
  } else {
    const std::vector<float> x = to_float32(a);
    fake_quant(spec, x.data(), a.shape, args.axis, out.data());
  }
  write_npy(args.out, DType::kFloat32, a.shape, out.data());
}

void encode_cmd(const ConvertArgs& args) {
  if (ends_with(args.out, ".safetensors")) {
    encode_to_safetensors(args.format, args.in, args.out, args.axis);
    return;
  }
  const FormatSpec spec = parse_format(args.format);
  if (!ends_with(args.out, ".npy")) {
    throw Error(args.out + ": output must end in .safetensors (packed tensor) or .npy (hif8 codes)");
  }
  if (spec.name != "hif8") throw Error("encode to .npy supports hif8 codes only, not '" + spec.name + "'");
  const NpyArray a = read_float_npy(args.in);
  std::vector<uint8_t> codes(a.num_elements());
  const Hif8Options opt = hif8_options(spec);
  const std::vector<double> x = to_float64(a);
  for (size_t i = 0; i < x.size(); ++i) codes[i] = hif8_encode(x[i], opt, i);
  write_npy(args.out, DType::kUInt8, a.shape, codes.data());
}

void decode_codes_cmd(const ConvertArgs& args) {
  if (ends_with(args.in, ".safetensors")) {
    throw Error(args.in + ": a safetensors file records its format; use: hifloat decode IN.safetensors OUT.npy");
  }
  const FormatSpec spec = parse_format(args.format);
  if (spec.name != "hif8") throw Error("decode from .npy supports hif8 codes only, not '" + spec.name + "'");
  const NpyArray a = read_npy(args.in);
  if (a.dtype != DType::kUInt8) {
    throw Error(args.in + ": expected uint8 hif8 codes, got dtype " + dtype_name(a.dtype));
  }
  std::vector<float> out(a.num_elements());
  hif8_decode(a.data, out);
  write_npy(args.out, DType::kFloat32, a.shape, out.data());
}

void decode_cmd(const DecodeArgs& args) {
  const std::vector<std::string>& p = args.positionals;
  if (p.size() == 3) {
    if (!args.tensor.empty()) throw Error("--tensor applies to safetensors input only");
    decode_codes_cmd({p[0], p[1], p[2], -1});
    return;
  }
  if (p.size() != 2) throw Error("decode takes IN.safetensors OUT.npy, or FORMAT IN.npy OUT.npy");
  if (!ends_with(p[0], ".safetensors")) {
    throw Error(p[0] + ": expected a .safetensors file (for .npy codes give the format: decode FORMAT IN.npy OUT.npy)");
  }
  decode_from_safetensors(p[0], p[1], args.tensor);
}

}  // namespace

void register_convert(CLI::App& app) {
  static ConvertArgs fq, enc;
  static DecodeArgs dec;
  const std::string fmt_help = "Format string name[:key=value,...], e.g. hif8 or hif8:rounding=even";

  auto* c = app.add_subcommand("fake-quant", "Quantise then dequantise a .npy array, writing float32");
  c->add_option("FORMAT", fq.format, fmt_help)->required();
  c->add_option("IN", fq.in, "Input .npy (float32, float64 or float16)")->required();
  c->add_option("OUT", fq.out, "Output .npy (float32)")->required();
  c->add_option("--axis", fq.axis, "Axis along which blocks are formed (default -1)");
  c->callback([] { fake_quant_cmd(fq); });

  auto* e = app.add_subcommand(
      "encode",
      "Encode a .npy array: into OUT.safetensors as one packed tensor named \"x\" (any format), "
      "or into OUT.npy as uint8 codes (hif8)");
  e->add_option("FORMAT", enc.format, fmt_help)->required();
  e->add_option("IN", enc.in, "Input .npy (float32, float64 or float16)")->required();
  e->add_option("OUT", enc.out, "Output .safetensors (packed tensor \"x\") or .npy (hif8 codes)")->required();
  e->add_option("--axis", enc.axis, "Axis along which blocks are formed (default -1)");
  e->callback([] { encode_cmd(enc); });

  auto* d = app.add_subcommand(
      "decode",
      "Decode to a float32 .npy: decode IN.safetensors OUT.npy (a packed tensor; its format is in the file), "
      "or decode FORMAT IN.npy OUT.npy (uint8 hif8 codes)");
  d->add_option("[FORMAT] IN OUT", dec.positionals,
                "IN.safetensors OUT.npy, or FORMAT IN.npy OUT.npy for hif8 codes")
      ->expected(2, 3)
      ->required();
  d->add_option("--tensor", dec.tensor, "Packed tensor to decode (default: the file's only packed tensor)");
  d->callback([] { decode_cmd(dec); });
}

}  // namespace hifloat::cli
