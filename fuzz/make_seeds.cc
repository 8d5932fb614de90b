// Writes a small seed corpus for fuzz_packed into the directory argv[1]:
// valid files holding packed tensors of every format this build implements,
// plain tensors and metadata.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "hifloat/packed_safetensors.h"
#include "hifloat/safetensors.h"

int main(int argc, char** argv) {
  using namespace hifloat;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<float> x(2 * 70);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * std::ldexp(1.0f, int(i % 9) - 4);
  int files = 0;
  for (const FormatInfo& f : format_registry()) {
    FormatSpec spec;
    try {
      spec = parse_format(f.name);
      make_codec(spec);
    } catch (const Error&) {
      continue;  // not implemented in this build
    }
    const Packed rows = encode(spec, x.data(), {2, 70}, 1);
    const Packed cols = encode(spec, x.data(), {70, 2}, 0);
    const Packed tiny = encode(spec, x.data(), {3}, 0);
    const std::vector<NamedPacked> one = {{"x", &tiny, StDType::F32}};
    write_packed_safetensors(dir + "/" + f.name + ".tiny.safetensors", one);
    const std::vector<NamedPacked> two = {{"rows", &rows, StDType::F16}, {"cols", &cols, StDType::BF16}};
    write_packed_safetensors(dir + "/" + f.name + ".two.safetensors", two);
    files += 2;
  }
  // Packed and plain tensors together, with extra metadata.
  const Packed p = encode(parse_format("hif8:rounding=even"), x.data(), {4}, 0);
  SafetensorsLayout layout;
  add_packed(layout, "q", p);
  layout.add("bias", StDType::F32, {2});
  layout.add("empty", StDType::I64, {0, 3});
  layout.metadata["format"] = "pt";
  SafetensorsWriter w(dir + "/mixed.safetensors", layout);
  w.write_tensor("q", p.data);
  w.write_tensor("bias", std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(x.data()), 8));
  w.commit();
  std::printf("wrote %d seed files to %s\n", files + 1, dir.c_str());
  return 0;
}
