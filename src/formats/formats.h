// Factories of the scalar reference codecs, one per format source file.
#pragma once

#include <memory>

#include "hifloat/codec.h"

namespace hifloat {

std::unique_ptr<Codec> make_hif8_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_fp8_e4m3_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_fp8_e5m2_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_int8_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_int4_codec(const FormatSpec& spec);

}  // namespace hifloat
