// Factories of the scalar reference codecs, one per format source file.
#pragma once

#include <memory>

#include "hifloat/codec.h"

namespace hifloat {

std::unique_ptr<Codec> make_hif8_codec(const FormatSpec& spec);

}  // namespace hifloat
