// libFuzzer target: arbitrary bytes as a safetensors file. Reads the header,
// touches every tensor's bytes, validates the hifloat metadata and decodes
// every packed tensor with its codec. Bad input must end in hifloat::Error;
// anything else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/packed_safetensors.h"
#include "hifloat/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hifloat;
  try {
    const SafetensorsReader file(std::span<const uint8_t>(data, size), "fuzz.safetensors");
    unsigned sum = 0;
    for (const StTensorInfo& t : file.tensors()) {
      for (const uint8_t b : file.data(t)) sum += b;  // every byte must lie inside the input
    }
    try {
      packed_tensor_names(file);
    } catch (const Error&) {
    }
    for (const StTensorInfo& t : file.tensors()) {
      if (!is_packed(file, t.name)) continue;
      try {
        const PackedTensorInfo info = packed_info(file, t.name);
        std::vector<float> out(static_cast<size_t>(num_elements(info.shape)));
        decode_packed(file, info, out);
        for (const float v : out) sum += v == 0.0f;
      } catch (const Error&) {
      }
    }
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const Error&) {
  }
  return 0;
}
