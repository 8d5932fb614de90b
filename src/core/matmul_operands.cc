// Operand views and checks for the matmul API (docs/matmul.md §4).
#include <algorithm>
#include <charconv>
#include <vector>

#include "core/matmul_operands.h"
#include "hifloat/error.h"

namespace hifloat {

Accumulation parse_accumulation(std::string_view name) {
  if (name == "exact") return Accumulation::kExact;
  if (name == "fp32") return Accumulation::kFp32;
  if (name == "fp32_trunc") return Accumulation::kFp32Truncate;
  throw Error("unknown accumulation '" + std::string(name) + "' (expected exact, fp32 or fp32_trunc)");
}

std::string_view accumulation_name(Accumulation acc) {
  switch (acc) {
    case Accumulation::kExact: return "exact";
    case Accumulation::kFp32: return "fp32";
    case Accumulation::kFp32Truncate: return "fp32_trunc";
  }
  return "?";
}

namespace {

bool is_hif4_family(const std::string& name) {
  return name == "hif4" || name == "hifx2" || name == "hifx3" || name == "hifx5";
}

std::string shape_str(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

}  // namespace

int64_t accumulation_block(const FormatSpec& format) {
  if (is_hif4_family(format.name)) return 64;
  if (format.name == "nvfp4") return 16;
  if (format.name.rfind("mx", 0) == 0) return 32;
  if (format.name == "int4") {
    int64_t g = 32;
    const std::string& v = format.option("group");
    std::from_chars(v.data(), v.data() + v.size(), g);
    return g;
  }
  return 64;
}

PackedLines view_lines(const PackedView& p, int k_axis, const std::string& what) {
  PackedLines v;
  v.packed = p;
  v.what = what;
  const std::string fmt = p.format.str();
  try {
    v.codec = make_codec(p.format);
  } catch (const Error&) {
    // hif4's layout is fixed by HIF4.md §7; the matmul code reads it itself.
    if (p.format.name != "hif4") throw;
  }
  const bool one_d = p.shape.size() == 1 && k_axis == 1;
  if (p.shape.size() != 2 && !one_d) {
    throw Error("matmul: packed " + what + " (" + fmt + ") has shape " + shape_str(p.shape) +
                "; expected a 2-d matrix");
  }
  v.rows = one_d ? 1 : p.shape[1 - k_axis];
  v.k = one_d ? p.shape[0] : p.shape[k_axis];
  const int want_axis = one_d ? 0 : k_axis;
  const int64_t bs = v.codec ? v.codec->block_size() : 64;
  v.elementwise = bs == 1;
  if (!v.elementwise && p.axis != want_axis) {
    throw Error("matmul: packed " + what + " (" + fmt + ") of shape " + shape_str(p.shape) + " has blocking axis " +
                std::to_string(p.axis) + ", but its blocks must run along K (axis " + std::to_string(want_axis) +
                "); re-encode it with axis " + std::to_string(want_axis));
  }
  v.k_major = v.elementwise && !one_d && k_axis == 0;
  if (v.codec) {
    v.block_len = v.elementwise ? 1 : v.codec->block_len(p.shape, p.axis);
    v.record_bytes = v.codec->record_bytes(v.block_len);
    v.header_bytes = v.codec->header_bytes();
  } else {
    v.block_len = 64;
    v.record_bytes = 36;
    v.header_bytes = 0;
  }
  v.blocks_per_row = v.elementwise ? v.k : (v.k + v.block_len - 1) / std::max<int64_t>(v.block_len, 1);
  if (v.block_len == 0) v.blocks_per_row = 0;
  const size_t expected =
      v.codec ? v.codec->packed_bytes(p.shape, p.axis)
              : static_cast<size_t>(v.rows * v.blocks_per_row) * v.record_bytes;
  if (p.data.size() != expected) {
    throw Error("matmul: packed " + what + " (" + fmt + ", shape " + shape_str(p.shape) + ") holds " +
                std::to_string(p.data.size()) + " bytes, expected " + std::to_string(expected));
  }
  return v;
}

void check_same_format(const PackedLines& a, const PackedLines& b) {
  const FormatSpec& fa = a.packed.format;
  const FormatSpec& fb = b.packed.format;
  bool same = fa.name == fb.name;
  // Options that change the stored layout must agree too; encode-only options
  // (rounding, seed, overflow) do not matter for a product of stored values.
  if (same && fa.name == "nvfp4") same = fa.option("tensor_scale") == fb.option("tensor_scale");
  if (same && fa.name == "int4") same = fa.option("group") == fb.option("group");
  if (!same) {
    throw Error("matmul: packed operands have different formats: " + a.what + " is " + fa.str() + ", " + b.what +
                " is " + fb.str() + "; both must use the same format (or pass " + a.what + " as floats)");
  }
}

void PackedLines::decode_row(int64_t row, float* out) const {
  if (elementwise) {
    for (int64_t kk = 0; kk < k; ++kk) {
      const int64_t idx = k_major ? kk * rows + row : row * k + kk;
      codec->decode_block(packed.data.data() + header_bytes + idx, header(), std::span<float>(out + kk, 1));
    }
    return;
  }
  std::vector<float> tmp(static_cast<size_t>(block_len));
  for (int64_t u = 0; u < blocks_per_row; ++u) {
    if (codec) {
      codec->decode_block(record(row, u), header(), tmp);
    } else {
      hif4_reference_decode_unit(record(row, u), tmp.data());
    }
    const int64_t n = std::min(block_len, k - u * block_len);
    std::copy_n(tmp.begin(), n, out + u * block_len);
  }
}

}  // namespace hifloat
