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
// nvfp4 (both tensor_scale settings), src/formats/nvfp4.cc.
std::unique_ptr<Codec> make_nvfp4_codec(const FormatSpec& spec);
// mxfp4, mxfp6_e2m3, mxfp6_e3m2, mxfp8_e4m3, mxfp8_e5m2, mxint8, src/formats/mx.cc.
std::unique_ptr<Codec> make_mx_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_fp8_e4m3_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_fp8_e5m2_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_int8_codec(const FormatSpec& spec);
std::unique_ptr<Codec> make_int4_codec(const FormatSpec& spec);

}  // namespace hifloat
