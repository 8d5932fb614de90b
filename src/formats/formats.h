// Factories of the scalar reference codecs, one per format source file.
#pragma once

#include <memory>

#include "hifloat/codec.h"

namespace hifloat {

std::unique_ptr<Codec> make_hif8_codec(const FormatSpec& spec);
// The HiFloat4 family (spec/HIF4.md), src/formats/hif4.cc.
std::unique_ptr<Codec> make_hif4_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_hifx2_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_hifx3_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_hifx5_codec(const FormatSpec& spec);

}  // namespace hifloat
