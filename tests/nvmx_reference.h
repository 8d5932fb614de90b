// Independent references for nvfp4 and the MX family, written from
// spec/BASELINES.md §0–§4 without using src/formats/: element grids are lists of
// values computed from §1's formula, rounding is an exact nearest-value search
// over the list (ties to the even code), the MX exponent comes from the fp32
// bit pattern and the §4.2 N(k) table, and bit packing walks the stream bit by bit.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace hifloat::testing {

// A sorted list of the finite non-negative values of an element grid with
// their magnitude codes.
class Grid {
 public:
  struct Entry {
    double value;
    int code;
  };

  // §1 float element: `mbits` mantissa bits, exponent `bias`; codes
  // 0..last_code are finite.
  static Grid minifloat(int mbits, int bias, int last_code) {
    Grid g;
    for (int c = 0; c <= last_code; ++c) {
      const int field = c >> mbits, m = c % (1 << mbits);
      const double frac = static_cast<double>(m) / (1 << mbits);
      const double v = field == 0 ? frac * std::pow(2.0, 1 - bias) : (1 + frac) * std::pow(2.0, field - bias);
      g.entries_.push_back({v, c});
    }
    g.sort();
    return g;
  }
  // mxint8: n/64 for n = 0..127.
  static Grid int8_over_64() {
    Grid g;
    for (int n = 0; n <= 127; ++n) g.entries_.push_back({n / 64.0, n});
    g.sort();
    return g;
  }

  const std::vector<Entry>& entries() const { return entries_; }
  double max_value() const { return entries_.back().value; }
  double value_of(int code) const {
    for (const Entry& e : entries_) {
      if (e.code == code) return e.value;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

  // The nearest member to a >= 0 (saturating above the maximum); at an exact
  // midpoint the one with the even code.
  const Entry& nearest(double a) const {
    if (a >= max_value()) return entries_.back();
    const auto hi = std::upper_bound(entries_.begin(), entries_.end(), a,
                                     [](double v, const Entry& e) { return v < e.value; });
    const auto lo = hi - 1;
    if (lo->value == a) return *lo;
    const double dlo = a - lo->value, dhi = hi->value - a;
    if (dlo < dhi) return *lo;
    if (dhi < dlo) return *hi;
    return lo->code % 2 == 0 ? *lo : *hi;
  }

 private:
  void sort() {
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.value < b.value; });
  }
  std::vector<Entry> entries_;
};

inline const Grid& e2m1_grid() {
  static const Grid g = [] {
    // §1: E2M1 codes 0..7 mean 0, 0.5, 1, 1.5, 2, 3, 4, 6 (typed from the spec).
    Grid h = Grid::minifloat(1, 1, 7);
    const double spec[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    for (int c = 0; c < 8; ++c) {
      if (h.value_of(c) != spec[c]) std::abort();
    }
    return h;
  }();
  return g;
}
inline const Grid& e4m3_grid() {
  static const Grid g = Grid::minifloat(3, 7, 0x7E);
  return g;
}

// RN32 of a double: round to nearest fp32, ties to even, ±Inf beyond range.
// Done by hand so that it never relies on an out-of-range double→float cast.
inline float rn32(double d) {
  if (std::fabs(d) >= 0x1.ffffffp127) return std::signbit(d) ? -INFINITY : INFINITY;
  return static_cast<float>(d);
}

// Little-endian bit stream (§0): element i at stream bits [i·w, i·w + w).
inline std::vector<uint8_t> pack_stream(const std::vector<int>& codes, int width) {
  std::vector<uint8_t> out((codes.size() * width + 7) / 8, 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    for (int b = 0; b < width; ++b) {
      if ((codes[i] >> b) & 1) {
        const size_t bit = i * width + b;
        out[bit / 8] = static_cast<uint8_t>(out[bit / 8] | (1u << (bit % 8)));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- nvfp4 §2/§3

struct NvBlockResult {
  std::vector<uint8_t> record;  // 9 bytes
  std::vector<float> values;    // 16 decoded values
};

// amax over finite elements, g = RN32(amax/2688), 1 if 0 (§2 step 1).
inline float nvfp4_tensor_scale(const std::vector<float>& x) {
  double amax = 0;
  for (float v : x) {
    if (std::isfinite(v)) amax = std::max(amax, std::fabs(static_cast<double>(v)));
  }
  const float g = static_cast<float>(amax) / 2688.0f;
  return g == 0.0f ? 1.0f : g;
}

// One block of 16 (zero-padded). `g` is ignored when !tensor_scale.
inline NvBlockResult nvfp4_reference_block(const float* x, bool tensor_scale, float g) {
  NvBlockResult r;
  r.values.assign(16, 0.0f);
  std::vector<int> codes(16, 0);
  bool nan = false;
  float bmax = 0;
  for (int i = 0; i < 16; ++i) {
    nan = nan || std::isnan(x[i]);
    if (!std::isnan(x[i]) && std::fabs(x[i]) > bmax) bmax = std::fabs(x[i]);
  }
  if (nan) {
    r.record = pack_stream(codes, 4);
    r.record.insert(r.record.begin(), 0x7F);
    r.values.assign(16, NAN);
    return r;
  }
  const Grid& e4m3 = e4m3_grid();
  int scode;
  float T;
  if (tensor_scale) {
    const float b = bmax / 6.0f;
    float s = b / g;
    if (!(s >= 0x1p-6f)) s = 0x1p-6f;
    if (s > 448.0f) s = 448.0f;
    const Grid::Entry& e = e4m3.nearest(s);
    scode = e.code;
    T = g * static_cast<float>(e.value);
  } else {
    float sf = bmax / 6.0f;
    if (sf > 448.0f) sf = 448.0f;
    const Grid::Entry& e = e4m3.nearest(sf);
    scode = e.code;
    T = static_cast<float>(e.value);
  }
  for (int i = 0; i < 16; ++i) {
    int mag = 0;
    if (T != 0) {
      float v = std::fabs(x[i]) / T;
      if (v > 6.0f) v = 6.0f;
      mag = e2m1_grid().nearest(v).code;
    }
    const bool neg = std::signbit(x[i]);
    codes[i] = (neg ? 8 : 0) | mag;
    const float q = static_cast<float>(e2m1_grid().value_of(mag));
    const float xhat = q * T;
    r.values[i] = neg ? -xhat : xhat;
  }
  r.record = pack_stream(codes, 4);
  r.record.insert(r.record.begin(), static_cast<uint8_t>(scode));
  return r;
}

// ---------------------------------------------------------------- MX §4

struct MxParams {
  const char* name;
  bool is_int;
  int mbits, bias, last_code;  // float element grid
  int emax, emin;
  int bits;  // code width
};

inline const MxParams kMxParams[] = {
    {"mxfp4", false, 1, 1, 0x7, 2, 0, 4},         {"mxfp6_e2m3", false, 3, 1, 0x1F, 2, 0, 6},
    {"mxfp6_e3m2", false, 2, 3, 0x1F, 4, -2, 6},  {"mxfp8_e4m3", false, 3, 7, 0x7E, 8, -6, 8},
    {"mxfp8_e5m2", false, 2, 15, 0x7B, 15, -14, 8}, {"mxint8", true, 6, 0, 0, 0, 0, 8},
};

inline const Grid& mx_grid(const MxParams& p) {
  static std::vector<Grid> grids = [] {
    std::vector<Grid> v;
    for (const MxParams& q : kMxParams) v.push_back(q.is_int ? Grid::int8_over_64() : Grid::minifloat(q.mbits, q.bias, q.last_code));
    return v;
  }();
  return grids[static_cast<size_t>(&p - kMxParams)];
}

// §4.2 N(k) table: how many of the largest fp32 values below 2^k get E = k.
inline int n_of_k(int k) {
  if (k >= 65) return 44;
  if (k >= 33) return 22;
  if (k >= 17) return 11;
  if (k >= 9) return 5;
  if (k >= 5) return 2;
  if (k >= 3) return 1;
  if (k >= -1) return 0;
  if (k >= -3) return 1;
  if (k >= -7) return 2;
  if (k >= -15) return 5;
  if (k >= -31) return 11;
  if (k >= -63) return 22;
  if (k >= -125) return 44;
  if (k == -126) return 22;
  return 0;  // k <= −127: clamped away anyway (§4.2)
}

// E for a positive finite fp32 amax from its bit pattern and the table.
inline int mx_exponent_from_table(float amax) {
  const uint32_t u = std::bit_cast<uint32_t>(amax);
  const int field = static_cast<int>(u >> 23);
  int e;  // exact floor(log2 amax)
  if (field != 0) {
    e = field - 127;
  } else {
    e = -127;
    for (uint32_t m = u & 0x7FFFFF; m < 0x400000; m <<= 1) --e;
  }
  const int k = e + 1;
  if (k > 128) return e;
  // Number of fp32 values from amax up to (excluding) 2^k.
  const uint32_t pow_bits = k >= -126 ? static_cast<uint32_t>(k + 127) << 23 : (1u << (k + 149));
  const uint32_t below = pow_bits - u;
  return static_cast<int>(below) <= n_of_k(k) ? k : e;
}

struct MxBlockResult {
  std::vector<uint8_t> record;
  std::vector<float> values;  // 32
};

inline MxBlockResult mx_reference_block(const MxParams& p, const float* x) {
  MxBlockResult r;
  std::vector<int> codes(32, 0);
  bool special = false;
  double amax = 0;
  for (int i = 0; i < 32; ++i) {
    if (!std::isfinite(x[i])) special = true;
    else amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
  }
  int se = 0;
  if (!special) {
    const int E = amax == 0 ? -126 : mx_exponent_from_table(static_cast<float>(amax));
    se = E - p.emax;
    if (se < -127) se = -127;
    if (se > 127) special = true;
  }
  if (special) {
    r.record = pack_stream(codes, p.bits);
    r.record.insert(r.record.begin(), 0xFF);
    r.values.assign(32, NAN);
    return r;
  }
  const Grid& grid = mx_grid(p);
  // The artefact input of §4.3: v = 0.5 − 2^−25 at the element's finest step.
  const double step = p.is_int ? 1.0 / 64 : std::ldexp(1.0, p.emin - p.mbits);
  const double artefact = (0.5 - 0x1p-25) * step;
  r.values.resize(32);
  for (int i = 0; i < 32; ++i) {
    const double a = std::fabs(static_cast<double>(x[i])) * std::pow(2.0, -se);
    const Grid::Entry& e = a == artefact ? grid.entries()[1] : grid.nearest(a);
    const bool neg = std::signbit(x[i]);
    if (p.is_int) {
      codes[i] = (neg ? -e.code : e.code) & 0xFF;
    } else {
      codes[i] = (neg ? 1 << (p.bits - 1) : 0) | e.code;
    }
    const double v = e.value * std::pow(2.0, se);
    r.values[i] = rn32(neg ? -v : v);
    if (p.is_int && e.code == 0) r.values[i] = 0.0f;  // no −0 in two's complement
  }
  r.record = pack_stream(codes, p.bits);
  r.record.insert(r.record.begin(), static_cast<uint8_t>(se + 127));
  return r;
}

// ---------------------------------------------------------------- tensors §0

struct TensorResult {
  std::vector<uint8_t> packed;  // header, then records in order r = o·U + u
  std::vector<float> values;    // decoded, same shape as the input
};

// Applies `block(const float* padded_block) -> {record, values}` to every block
// of B elements of every line along `axis` (lines numbered in C order of the
// other indices, tails zero-padded, decoded values cropped).
template <typename BlockFn>
TensorResult reference_tensor(const std::vector<float>& x, const std::vector<int64_t>& shape, int axis, int B,
                              std::vector<uint8_t> header, BlockFn block) {
  const int rank = static_cast<int>(shape.size());
  int64_t L = shape[axis], outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= shape[d];
  TensorResult r;
  r.packed = std::move(header);
  r.values.assign(x.size(), 0.0f);
  const int64_t U = (L + B - 1) / B;
  for (int64_t a = 0; a < outer; ++a) {
    for (int64_t c = 0; c < inner; ++c) {  // line o = a·inner + c
      for (int64_t u = 0; u < U; ++u) {
        std::vector<float> blk(B, 0.0f);
        for (int64_t i = 0; i < B && u * B + i < L; ++i) blk[i] = x[(a * L + u * B + i) * inner + c];
        const auto res = block(blk.data());
        r.packed.insert(r.packed.end(), res.record.begin(), res.record.end());
        for (int64_t i = 0; i < B && u * B + i < L; ++i) r.values[(a * L + u * B + i) * inner + c] = res.values[i];
      }
    }
  }
  return r;
}

}  // namespace hifloat::testing
