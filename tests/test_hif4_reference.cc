// The HiFloat4 codec against the independent reference of hif4_reference.h:
// millions of random and adversarial fp32 values for every member and rounding
// mode (packed bytes and dequantised values, bit for bit), and the tensor
// drivers (lines, tails, axes, unit order, flat indices) against an
// index-by-index reference driver.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hif4_reference.h"
#include "hifloat/codec.h"

namespace hifloat {
namespace {

using testing::RefRounding;

struct Member {
  const char* name;
  int m;
};
const Member kMembers[] = {{"hifx2", 1}, {"hifx3", 2}, {"hif4", 3}, {"hifx5", 4}};
void PrintTo(const Member& mb, std::ostream* os) { *os << mb.name; }

struct Mode {
  const char* option;
  RefRounding rounding;
};
const Mode kModes[] = {{"", RefRounding::kAway},
                       {":rounding=even", RefRounding::kEven},
                       {":rounding=stochastic,seed=12345678901", RefRounding::kStochastic}};
constexpr uint64_t kStochasticSeed = 12345678901ull;

bool same_or_both_nan(float a, float b) {
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) || (std::isnan(a) && std::isnan(b));
}

// ---------------------------------------------------------------- unit generators

enum Kind { kGauss, kNarrowBits, kAnyBits, kOutlier, kTies, kGrid, kSpecials, kScaleTies, kNumKinds };
const char* const kKindNames[] = {"gauss", "narrow_bits", "any_bits", "outlier", "ties", "grid", "specials",
                                  "scale_ties"};

class UnitGenerator {
 public:
  explicit UnitGenerator(uint64_t seed) : rng_(seed) {}

  std::vector<float> make(Kind kind, int m) {
    std::vector<float> x(64);
    switch (kind) {
      case kGauss: {
        const int e = uniform_int(-75, 40);
        for (float& v : x) v = static_cast<float>(gauss_(rng_) * std::ldexp(1.0, e));
        sprinkle_zeros(x, 0.1);
        break;
      }
      case kNarrowBits: {  // random mantissas and signs, exponents within a 2^12 range
        const int e0 = uniform_int(1, 254);
        for (float& v : x) {
          const int e = std::max(1, e0 - uniform_int(0, 12));
          v = std::bit_cast<float>((bit32() & 0x807FFFFFu) | (static_cast<uint32_t>(e) << 23));
        }
        break;
      }
      case kAnyBits:  // any finite or infinite pattern
        for (float& v : x) {
          do v = std::bit_cast<float>(bit32());
          while (std::isnan(v));
        }
        break;
      case kOutlier: {
        const int e = uniform_int(-40, 10);
        for (float& v : x) v = static_cast<float>(gauss_(rng_) * std::ldexp(1.0, e));
        x[uniform_int(0, 63)] *= std::ldexp(1.0f, uniform_int(3, 24));
        break;
      }
      case kTies: {  // S = 2^E exactly (M = 7 * 2^E), elements at t = k + 0.5 for guessed shifts
        const int E = uniform_int(-48, 15);
        const int qmax = (1 << m) - 1;
        for (float& v : x) {
          const int sh = uniform_int(0, 2);
          const double t = uniform_int(0, 4) == 0 ? static_cast<double>(std::bit_cast<float>(0x3EFFFFFFu))
                                                  : uniform_int(0, qmax) + 0.5;
          v = static_cast<float>(t * std::ldexp(1.0, E - (m - 1) + sh) * sign());
        }
        sprinkle_zeros(x, 0.1);
        x[uniform_int(0, 63)] = static_cast<float>(7 * std::ldexp(1.0, E) * sign());
        break;
      }
      case kGrid: {  // on a grid q/2^(m-1) * 2^sh * S, nudged by a few ulps
        const int c = uniform_int(0, 254);
        const double S = (1 + (c & 3) / 4.0) * std::ldexp(1.0, (c >> 2) - 48);
        for (float& v : x) {
          const double g = uniform_int(0, (1 << m) - 1) / std::ldexp(1.0, m - 1) * (1 << uniform_int(0, 2)) * S;
          v = static_cast<float>(g * sign());
          for (int n = uniform_int(-2, 2); n != 0; n += n > 0 ? -1 : 1) v = std::nextafter(v, n > 0 ? INFINITY : 0.0f);
        }
        break;
      }
      case kSpecials: {
        const int e = uniform_int(-30, 20);
        for (float& v : x) {
          switch (uniform_int(0, 14)) {
            case 0: v = 0.0f; break;
            case 1: v = -0.0f; break;
            case 2: v = std::bit_cast<float>(bit32() & 0x807FFFFFu); break;  // subnormal
            case 3: v = uniform_int(0, 30) == 0 ? INFINITY * sign() : 1.0f; break;
            case 4: v = static_cast<float>(sign() * (344064.0 + uniform_int(0, 1 << 20))); break;
            case 5: v = std::numeric_limits<float>::max() * sign(); break;
            case 6: v = std::bit_cast<float>(0x3EFFFFFFu) * sign(); break;
            case 7: v = uniform_int(0, 200) == 0 ? NAN : 2.0f; break;
            default: v = static_cast<float>(gauss_(rng_) * std::ldexp(1.0, e));
          }
        }
        break;
      }
      case kScaleTies: {
        // M chosen so that t0 = RN32(M * 73/512) lands on or next to a bf16 tie
        // (double rounding) or a bf16 value that is an E6M2 tie (k = 16, 48, 80, 112).
        const int e = uniform_int(-50, 16);
        double T;
        if (uniform_int(0, 1)) {
          T = (2 * uniform_int(128, 255) + 1) * std::ldexp(1.0, e - 8);  // halfway between bf16 values
        } else {
          const int k = 16 + 32 * uniform_int(0, 3);
          T = (1 + k / 128.0) * std::ldexp(1.0, e);
        }
        float M = static_cast<float>(T * 512.0 / 73.0);
        for (int n = uniform_int(-3, 3); n != 0; n += n > 0 ? -1 : 1) M = std::nextafter(M, n > 0 ? INFINITY : 0.0f);
        for (float& v : x) v = static_cast<float>(M * std::uniform_real_distribution<double>(-1.0, 1.0)(rng_));
        x[uniform_int(0, 63)] = M * sign();
        break;
      }
      case kNumKinds: break;
    }
    return x;
  }

 private:
  int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  uint32_t bit32() { return static_cast<uint32_t>(rng_()); }
  float sign() { return (rng_() & 1) ? -1.0f : 1.0f; }
  void sprinkle_zeros(std::vector<float>& x, double p) {
    for (float& v : x) {
      if (std::uniform_real_distribution<double>(0, 1)(rng_) < p) v = (rng_() & 1) ? -0.0f : 0.0f;
    }
  }

  std::mt19937_64 rng_;
  std::normal_distribution<double> gauss_;
};

std::string describe_unit(const std::vector<float>& x) {
  std::ostringstream os;
  os << std::hexfloat;
  for (float v : x) os << v << ' ';
  return os.str();
}

// ---------------------------------------------------------------- random units

class Hif4VsReference : public ::testing::TestWithParam<Member> {};

TEST_P(Hif4VsReference, RandomAndAdversarialUnits) {
  const Member mb = GetParam();
  for (const Mode& mode : kModes) {
    // 16384 units = 1M values for the default mode, 4096 units for the others.
    const int64_t units = mode.rounding == RefRounding::kAway ? 16384 : 4096;
    UnitGenerator gen(1000 + static_cast<uint64_t>(mb.m) * 10 + static_cast<uint64_t>(mode.rounding));
    std::vector<float> x;
    x.reserve(static_cast<size_t>(units * 64));
    std::vector<Kind> kinds;
    for (int64_t u = 0; u < units; ++u) {
      kinds.push_back(static_cast<Kind>(u % kNumKinds));
      const std::vector<float> unit = gen.make(kinds.back(), mb.m);
      x.insert(x.end(), unit.begin(), unit.end());
    }
    const std::string fmt = std::string(mb.name) + mode.option;
    const Packed packed = encode(parse_format(fmt), x.data(), {units, 64}, 1);
    std::vector<float> fq(x.size()), dec(x.size());
    fake_quant(parse_format(fmt), x.data(), {units, 64}, 1, fq.data());
    decode(packed, dec.data());

    const size_t ub = packed.data.size() / static_cast<size_t>(units);
    int64_t bad_units = 0, bad_values = 0;
    for (int64_t u = 0; u < units; ++u) {
      std::array<uint64_t, 64> flat;
      for (int i = 0; i < 64; ++i) flat[i] = static_cast<uint64_t>(u * 64 + i);
      const float* xu = x.data() + u * 64;
      const testing::RefUnit ref = testing::ref_quantize_unit(xu, mb.m, mode.rounding, kStochasticSeed, flat);
      const std::vector<uint8_t> want = testing::ref_pack(ref, mb.m);
      const std::vector<uint8_t> got(packed.data.begin() + u * ub, packed.data.begin() + (u + 1) * ub);
      if (got != want && ++bad_units <= 3) {
        ADD_FAILURE() << fmt << " unit " << u << " (" << kKindNames[kinds[u]] << ") packed bytes differ; scale got "
                      << int(got[0]) << " want " << int(want[0]) << "; input "
                      << describe_unit(std::vector<float>(xu, xu + 64));
      }
      for (int i = 0; i < 64; ++i) {
        const float r = testing::ref_value(ref, mb.m, i);
        const size_t k = static_cast<size_t>(u * 64 + i);
        if (!same_or_both_nan(fq[k], r) || !same_or_both_nan(dec[k], fq[k])) {
          if (++bad_values <= 5) {
            ADD_FAILURE() << fmt << " unit " << u << " (" << kKindNames[kinds[u]] << ") element " << i << " x="
                          << std::hexfloat << xu[i] << " fake_quant=" << fq[k] << " decode=" << dec[k]
                          << " reference=" << r;
          }
        }
      }
    }
    EXPECT_EQ(bad_units, 0) << fmt << ": units whose packed bytes differ, of " << units;
    EXPECT_EQ(bad_values, 0) << fmt << ": values that differ, of " << units * 64;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMembers, Hif4VsReference, ::testing::ValuesIn(kMembers),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------- tensors

// §6 written out index by index: lines in C order of the other indices, each
// padded to whole units, units back to back; flat indices of the logical tensor.
std::vector<uint8_t> ref_encode_tensor(const std::vector<float>& x, const Shape& shape_in, int axis, int m,
                                       RefRounding rounding, uint64_t seed, std::vector<float>* values) {
  const Shape shape = shape_in.empty() ? Shape{1} : shape_in;
  const int rank = static_cast<int>(shape.size());
  const int a = axis < 0 ? axis + rank : axis;
  std::vector<int64_t> stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) stride[d] = stride[d + 1] * shape[d + 1];
  const int64_t L = shape[a];
  std::vector<uint8_t> out;
  values->assign(x.size(), 0.0f);
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  if (total == 0) return out;
  std::vector<int64_t> idx(rank, 0);  // odometer over the other indices, last fastest
  while (true) {
    for (int64_t u = 0; u * 64 < L; ++u) {
      float unit[64] = {};
      std::array<uint64_t, 64> flat{};
      int64_t pos[64] = {};
      const int valid = static_cast<int>(std::min<int64_t>(64, L - 64 * u));
      for (int i = 0; i < valid; ++i) {
        idx[a] = 64 * u + i;
        int64_t f = 0;
        for (int d = 0; d < rank; ++d) f += idx[d] * stride[d];
        unit[i] = x[f];
        flat[i] = static_cast<uint64_t>(f);
        pos[i] = f;
      }
      idx[a] = 0;
      const testing::RefUnit ref = testing::ref_quantize_unit(unit, m, rounding, seed, flat, valid);
      const std::vector<uint8_t> bytes = testing::ref_pack(ref, m);
      out.insert(out.end(), bytes.begin(), bytes.end());
      for (int i = 0; i < valid; ++i) (*values)[pos[i]] = testing::ref_value(ref, m, i);
    }
    int d = rank - 1;
    for (; d >= 0; --d) {
      if (d == a) continue;
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

TEST(Hif4Tensors, LinesTailsAxesAndUnitOrderMatchTheReferenceDriver) {
  const std::vector<Shape> shapes = {{}, {1}, {64}, {65}, {200}, {3, 70, 5}, {2, 3, 129}, {130, 2, 2},
                                     {5, 64, 1}, {1, 1, 1}, {4, 0, 3}, {33, 7}};
  UnitGenerator gen(77);
  std::mt19937_64 rng(78);
  for (const Member& mb : kMembers) {
    for (const Mode& mode : kModes) {
      const std::string fmt = std::string(mb.name) + mode.option;
      for (const Shape& shape : shapes) {
        const int rank = shape.empty() ? 1 : static_cast<int>(shape.size());
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        std::vector<float> x;
        while (static_cast<int64_t>(x.size()) < n) {
          const std::vector<float> u = gen.make(static_cast<Kind>(rng() % kNumKinds), mb.m);
          x.insert(x.end(), u.begin(), u.end());
        }
        x.resize(static_cast<size_t>(n));
        for (int axis = -1; axis < rank; ++axis) {
          std::vector<float> want_values;
          const std::vector<uint8_t> want =
              ref_encode_tensor(x, shape, axis, mb.m, mode.rounding, kStochasticSeed, &want_values);
          const Packed p = encode(parse_format(fmt), x.data(), shape, axis);
          ASSERT_EQ(p.data, want) << fmt << " rank " << shape.size() << " axis " << axis;
          std::vector<float> fq(x.size()), dec(x.size());
          fake_quant(parse_format(fmt), x.data(), shape, axis, fq.data());
          decode(p, dec.data());
          for (size_t i = 0; i < x.size(); ++i) {
            ASSERT_TRUE(same_or_both_nan(fq[i], want_values[i]))
                << fmt << " axis " << axis << " element " << i << " got " << fq[i] << " want " << want_values[i];
            ASSERT_TRUE(same_or_both_nan(dec[i], fq[i])) << fmt << " axis " << axis << " element " << i;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hifloat
