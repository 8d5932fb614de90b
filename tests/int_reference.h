// An independent reference for int8 and int4:group=G (spec/BASELINES.md §7, §8)
// written in double arithmetic, sharing no code with src/formats/int*.cc:
// - RN32(a / b) is computed as (float)((double)a / b): the double quotient
//   rounded once more to float equals the correctly rounded float quotient
//   because 53 >= 2*24 + 2 (double rounding is innocuous for division);
// - RNE is std::nearbyint in the default rounding mode;
// - RNE_fp16 is done on the value: the binade's quantum 2^(max(e, -14) - 10) times
//   the nearest-even integer multiple;
// - lines are gathered by walking multi-indices, not with the library's LineGeometry.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace hifloat::testing {

struct IntReference {
  std::vector<uint8_t> bytes;  // the packed tensor
  std::vector<float> values;   // decode(encode(x)) in the tensor's layout
};

inline float rn32_div(float a, double b) { return static_cast<float>(static_cast<double>(a) / b); }

inline void put_le(std::vector<uint8_t>& out, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Returns the fp16 value nearest to v >= 0 (ties even), or +Inf when it
// rounds past 65504.
inline double round_to_fp16_value(double v) {
  if (v == 0) return 0;
  int ex = 0;
  std::frexp(v, &ex);  // v = f * 2^ex, f in [0.5, 1)
  const int e = std::max(ex - 1, -14);
  const double quantum = std::ldexp(1.0, e - 10);
  const double r = std::nearbyint(v / quantum) * quantum;
  return r > 65504 ? INFINITY : r;
}

// fp16 bit pattern of a finite fp16 value v >= 0 (exact).
inline uint16_t fp16_bits_of(double v) {
  if (v == 0) return 0;
  int ex = 0;
  std::frexp(v, &ex);
  const int e = ex - 1;
  if (e < -14) return static_cast<uint16_t>(std::ldexp(v, 24));  // subnormal: v / 2^-24
  const int mant = static_cast<int>(std::ldexp(v, 10 - e)) - 1024;
  return static_cast<uint16_t>(((e + 15) << 10) | mant);
}

// Integer code q = clamp(RNE(RN32(x / s)), -qmax, qmax).
inline int ref_q(float x, double s, int qmax) {
  double q = std::nearbyint(static_cast<double>(rn32_div(x, s)));
  if (q > qmax) q = qmax;
  if (q < -qmax) q = -qmax;
  return static_cast<int>(q);
}

// §7, one whole line.
inline void ref_int8_line(const std::vector<float>& line, std::vector<uint8_t>& bytes, std::vector<float>& vals) {
  bool nan = false;
  double amax = 0;
  for (float v : line) {
    if (std::isnan(v)) nan = true;
    else if (std::isfinite(v)) amax = std::max(amax, std::fabs(static_cast<double>(v)));
  }
  if (nan) {
    put_le(bytes, 0x7FC00000u, 4);
    for (size_t i = 0; i < line.size(); ++i) {
      bytes.push_back(0);
      vals.push_back(NAN);
    }
    return;
  }
  float s = static_cast<float>(amax / 127.0);
  if (s == 0) s = 1;
  put_le(bytes, float_bits(s), 4);
  for (float v : line) {
    const int q = ref_q(v, s, 127);
    bytes.push_back(static_cast<uint8_t>(q & 0xFF));
    vals.push_back(static_cast<float>(q * static_cast<double>(s)));
  }
}

// §8, one group (already padded to G).
inline void ref_int4_group(const std::vector<float>& g, std::vector<uint8_t>& bytes, std::vector<float>& vals) {
  bool nan = false;
  float amax = 0;
  for (float v : g) {
    if (std::isnan(v)) nan = true;
    else if (std::isfinite(v)) amax = std::max(amax, std::fabs(v));
  }
  if (nan) {
    put_le(bytes, 0x7E00u, 2);
    bytes.insert(bytes.end(), g.size() / 2, 0);
    vals.insert(vals.end(), g.size(), NAN);
    return;
  }
  double d = round_to_fp16_value(static_cast<double>(static_cast<float>(amax / 7.0)));
  if (std::isinf(d)) d = 65504;
  if (d == 0) d = 1;
  put_le(bytes, fp16_bits_of(d), 2);
  std::vector<int> q(g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    q[i] = ref_q(g[i], d, 7);
    vals.push_back(static_cast<float>(q[i] * d));
  }
  for (size_t p = 0; p < g.size(); p += 2) {
    bytes.push_back(static_cast<uint8_t>((q[p] & 0xF) | ((q[p + 1] & 0xF) << 4)));
  }
}

// Whole tensor: lines along `axis` in C order of the other indices (§0);
// group = 0 means int8 (whole lines), else int4 with that group size.
inline IntReference ref_int_tensor(const std::vector<float>& x, const std::vector<int64_t>& shape, int axis,
                                   int group) {
  const int rank = static_cast<int>(shape.size());
  std::vector<int64_t> stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) stride[d] = stride[d + 1] * shape[d + 1];
  const int64_t L = shape[axis];
  std::vector<int> others;
  for (int d = 0; d < rank; ++d) {
    if (d != axis) others.push_back(d);
  }
  int64_t P = 1;
  for (int d : others) P *= shape[d];
  IntReference out;
  out.values.assign(x.size(), 0.0f);
  std::vector<int64_t> idx(others.size(), 0);  // multi-index over the other dims, C order
  for (int64_t o = 0; o < P; ++o) {
    int64_t base = 0;
    for (size_t k = 0; k < others.size(); ++k) base += idx[k] * stride[others[k]];
    std::vector<float> line(L);
    for (int64_t j = 0; j < L; ++j) line[j] = x[base + j * stride[axis]];
    std::vector<float> vals;
    if (group == 0) {
      ref_int8_line(line, out.bytes, vals);
    } else {
      for (int64_t start = 0; start < L; start += group) {
        std::vector<float> g(group, 0.0f);
        for (int64_t j = start; j < std::min<int64_t>(L, start + group); ++j) g[j - start] = line[j];
        ref_int4_group(g, out.bytes, vals);
      }
    }
    for (int64_t j = 0; j < L; ++j) out.values[base + j * stride[axis]] = vals[j];
    for (int k = static_cast<int>(idx.size()) - 1; k >= 0; --k) {  // next multi-index
      if (++idx[k] < shape[others[k]]) break;
      idx[k] = 0;
    }
  }
  return out;
}

}  // namespace hifloat::testing
