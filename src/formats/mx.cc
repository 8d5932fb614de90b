// The OCP MX family as microxcaling computes it (spec/BASELINES.md §4):
// mxfp4, mxfp6_e2m3, mxfp6_e3m2, mxfp8_e4m3, mxfp8_e5m2 and mxint8.
//
// Blocks of 32 elements share an E8M0 scale 2^se with se = floor(RN32(log2 amax))
// − emax (the fp32 logarithm makes se one too large just below powers of two,
// §4.2), clamped below at −127. Elements are A = |x|·2^−se rounded half to
// even onto the element grid (with the reference's 0x3EFFFFFF artefact) and
// saturated at maxnorm. NaN or ±Inf anywhere makes the whole block NaN.
//
// The element arithmetic is done in double, where every step is exact: A is an
// fp32 value times a power of two within double's range, and so is v below.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "formats/bitpack.h"
#include "formats/formats.h"
#include "formats/minifloat.h"
#include "hifloat/error.h"

namespace hifloat {

namespace {

constexpr int64_t kBlock = 32;
constexpr uint8_t kNanScale = 0xFF;  // E8M0 NaN
constexpr int kScaleBias = 127;

// One row of the §4.1 table.
struct MxElement {
  bool is_int;      // mxint8: two's-complement n, value n/64
  Minifloat grid;   // float elements (unused for mxint8)
  int emax;         // exponent of the element's largest binade
  int code_bits;    // 4, 6 or 8
};

MxElement mx_element(const std::string& name) {
  if (name == "mxfp4") return {false, kE2M1, 2, 4};
  if (name == "mxfp6_e2m3") return {false, kE2M3, 2, 6};
  if (name == "mxfp6_e3m2") return {false, kE3M2, 4, 6};
  if (name == "mxfp8_e4m3") return {false, kE4M3, 8, 8};
  if (name == "mxfp8_e5m2") return {false, kE5M2, 15, 8};
  if (name == "mxint8") return {true, {}, 0, 8};
  throw Error("format '" + name + "' is not an MX format");
}

// RNE*(v) of §4.3: round half to even, except that v = 0.5 − 2^−25 (fp32
// 0x3EFFFFFF) gives 1. The reference computes floor(v + 0.5) in fp32, where
// 0.5 − 2^−25 + 0.5 rounds up to 1, and only corrects exact ties.
double round_even_star(double v) {
  if (v == 0.5 - 0x1p-25) return 1.0;
  double n = std::floor(v);
  const double frac = v - n;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(n, 2.0) != 0)) n += 1;
  return n;
}

// §4.2 step 3: E = floor(RN32(log2(amax))), or −126 for an all-zero block.
// log2 in double rounded once to fp32 is RN32 of the true logarithm (checked in
// the tests against the N(k) table over every fp32 value near a power of two).
int shared_exponent(float amax) {
  if (amax == 0.0f) return -126;
  return static_cast<int>(std::floor(static_cast<float>(std::log2(static_cast<double>(amax)))));
}

class MxCodec final : public Codec {
 public:
  explicit MxCodec(const FormatSpec& spec) : Codec(spec), el_(mx_element(spec.name)) {}

  int64_t block_size() const override { return kBlock; }
  size_t record_bytes(int64_t) const override { return 1 + packed_code_bytes(kBlock, el_.code_bits); }

  void encode_block(std::span<const float> x, const BlockContext&, uint8_t* record) const override {
    uint8_t codes[kBlock] = {};
    // §4.2 step 1: NaN or ±Inf anywhere gives a NaN block.
    const bool special = std::any_of(x.begin(), x.end(), [](float v) { return !std::isfinite(v); });
    float amax = 0.0f;
    for (float v : x) amax = std::max(amax, std::fabs(v));
    int se = special ? 0 : std::max(shared_exponent(amax) - el_.emax, -kScaleBias);  // §4.2 step 4
    if (special || se > kScaleBias) {  // se > 127: only mxint8 with amax among the 44 largest fp32
      record[0] = kNanScale;
      pack_codes(codes, kBlock, el_.code_bits, record + 1);
      return;
    }
    record[0] = static_cast<uint8_t>(se + kScaleBias);
    for (int64_t i = 0; i < kBlock; ++i) codes[i] = encode_element(x[i], se);
    pack_codes(codes, kBlock, el_.code_bits, record + 1);
  }

  void decode_block(const uint8_t* record, const uint8_t*, std::span<float> out) const override {
    if (record[0] == kNanScale) {
      std::fill(out.begin(), out.end(), std::numeric_limits<float>::quiet_NaN());
      return;
    }
    const int se = record[0] - kScaleBias;
    uint8_t codes[kBlock];
    unpack_codes(record + 1, kBlock, el_.code_bits, codes);
    for (int64_t i = 0; i < kBlock; ++i) {
      // x̂ = RN32(±value · 2^se): exact, except that a value ≥ 2^emax with
      // se = 128 − emax overflows to ±Inf, as in the reference (§4.3).
      out[i] = std::ldexp(element_value(codes[i]), se);
    }
  }

 private:
  // §4.3: the element code of x in a block with scale exponent se.
  uint8_t encode_element(float x, int se) const {
    const double a = std::ldexp(static_cast<double>(std::fabs(x)), -se);  // A = |x|·2^−se, exact
    if (el_.is_int) {
      const double n = std::min(round_even_star(a * 64.0), 127.0);  // v = A·64
      const int q = std::signbit(x) ? -static_cast<int>(n) : static_cast<int>(n);
      return static_cast<uint8_t>(q & 0xFF);  // two's complement; −0 becomes 0
    }
    const Minifloat& g = el_.grid;
    int pe = g.emin();  // pe = max(emin, floor(log2 A)), emin for A = 0
    if (a > 0) {
      int e2 = 0;
      std::frexp(a, &e2);
      pe = std::max(g.emin(), e2 - 1);
    }
    const double v = std::ldexp(a, g.mbits - pe);  // exact
    const double value = std::min(std::ldexp(round_even_star(v), pe - g.mbits), minifloat_max_value(g));
    // `value` is a member of the grid, so rounding it to the grid just looks up its code.
    const uint8_t mag = minifloat_round_even(value, g);
    return static_cast<uint8_t>((std::signbit(x) ? g.sign_bit() : 0) | mag);
  }

  // The value of an element code before scaling (fp32-exact): ±value, NaN or ±Inf.
  float element_value(uint8_t code) const {
    if (el_.is_int) return static_cast<float>(static_cast<int8_t>(code)) / 64.0f;  // −128 reads as −2
    return static_cast<float>(minifloat_decode(code, el_.grid));
  }

  MxElement el_;
};

}  // namespace

std::unique_ptr<Codec> make_mx_codec(const FormatSpec& spec) { return std::make_unique<MxCodec>(spec); }

}  // namespace hifloat
