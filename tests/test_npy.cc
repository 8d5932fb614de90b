// .npy reading and writing: round trips, hand-built files in every layout
// numpy writes, and a clear Error for every kind of malformed file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "hifloat/error.h"
#include "hifloat/npy.h"
#include "temp_dir.h"

namespace hifloat {
namespace {

using testing::TempDir;

// A .npy image written by hand: magic, version, header length, header, data.
std::vector<uint8_t> npy_image(const std::string& dict, const std::vector<uint8_t>& data, int major = 1,
                               bool pad = true) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  if (pad) {
    header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
  }
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t n = header.size();
  out.push_back(static_cast<uint8_t>(n));
  out.push_back(static_cast<uint8_t>(n >> 8));
  if (major != 1) {
    out.push_back(static_cast<uint8_t>(n >> 16));
    out.push_back(static_cast<uint8_t>(n >> 24));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <typename T>
std::vector<uint8_t> raw(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    parse_npy(bytes.data(), bytes.size(), "bad.npy");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Npy, ReadsHandWrittenFiles) {
  const std::vector<float> v = {1.5f, -2.0f, 0.25f, 8.0f, -0.0f, 3.0f};
  const std::vector<uint8_t> aimg = npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw(v));
  const NpyArray a = parse_npy(aimg.data(), aimg.size(), "a.npy");
  EXPECT_EQ(a.dtype, DType::kFloat32);
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(to_float32(a), v);

  // Version 2.0 (4-byte header length), double quotes, no trailing comma, 0-d.
  const std::vector<double> d = {-7.25};
  const std::vector<uint8_t> img = npy_image("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": ()}", raw(d), 2);
  const NpyArray b = parse_npy(img.data(), img.size(), "b.npy");
  EXPECT_EQ(b.dtype, DType::kFloat64);
  EXPECT_EQ(b.shape, Shape{});
  EXPECT_EQ(to_float64(b), d);

  // float16 widens exactly; uint8 in either spelling.
  const std::vector<uint16_t> h = {0x3C00, 0xC100, 0x0001, 0x7C00};  // 1, -2.5, 2^-24, inf
  const std::vector<uint8_t> himg = npy_image("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", raw(h));
  const std::vector<float> hf = to_float32(parse_npy(himg.data(), himg.size(), "h.npy"));
  EXPECT_EQ(hf, (std::vector<float>{1.0f, -2.5f, std::ldexp(1.0f, -24), INFINITY}));
  for (const char* descr : {"|u1", "<u1"}) {
    const std::vector<uint8_t> u =
        npy_image(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (3,), }", {1, 2, 255});
    const NpyArray ua = parse_npy(u.data(), u.size(), "u.npy");
    EXPECT_EQ(ua.dtype, DType::kUInt8) << descr;
    EXPECT_EQ(ua.data, (std::vector<uint8_t>{1, 2, 255}));
  }
}

TEST(Npy, FortranOrderIsTransposedToCOrder) {
  // A 2x3 array [[1,2,3],[4,5,6]] stored column by column.
  const std::vector<float> f = {1, 4, 2, 5, 3, 6};
  const std::vector<uint8_t> img = npy_image("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", raw(f));
  const NpyArray a = parse_npy(img.data(), img.size(), "f.npy");
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(to_float32(a), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  // 2x3x2, element (i,j,k) = 100i + 10j + k; Fortran order runs i fastest.
  std::vector<float> f3, c3;
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) f3.push_back(static_cast<float>(100 * i + 10 * j + k));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) c3.push_back(static_cast<float>(100 * i + 10 * j + k));
  const std::vector<uint8_t> img3 =
      npy_image("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 2), }", raw(f3));
  EXPECT_EQ(to_float32(parse_npy(img3.data(), img3.size(), "f3.npy")), c3);
}

TEST(Npy, WriteThenReadRoundTrips) {
  TempDir dir;
  const std::vector<float> v = {1, -2, 3.5f, 0, 1e-40f, -INFINITY};
  for (const Shape& shape : {Shape{6}, Shape{2, 3}, Shape{1, 2, 3}}) {
    write_npy(dir.file("x.npy"), DType::kFloat32, shape, v.data());
    const NpyArray a = read_npy(dir.file("x.npy"));
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(to_float32(a), v);
  }
  write_npy(dir.file("e.npy"), DType::kFloat32, {0, 5}, nullptr);
  EXPECT_EQ(read_npy(dir.file("e.npy")).shape, (Shape{0, 5}));
  const double s = 0.1;
  write_npy(dir.file("s.npy"), DType::kFloat64, {}, &s);
  EXPECT_EQ(to_float64(read_npy(dir.file("s.npy"))), std::vector<double>{0.1});
  // The header is padded so the data starts 64-byte aligned, as numpy does.
  const std::vector<uint8_t> bytes = serialize_npy(DType::kFloat32, {2, 3}, v.data());
  EXPECT_EQ((bytes.size() - 24) % 64, 0u);
  EXPECT_EQ(bytes[10 + bytes[8] + 256 * bytes[9] - 1], '\n');
}

TEST(Npy, Float64IsRoundedToNearestEvenForFloat32) {
  const std::vector<double> d = {1.0 + 0x1p-24, 1.0 + 3 * 0x1p-24, 0x1p-150, 1e300};
  const std::vector<uint8_t> img = npy_image("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", raw(d));
  const std::vector<float> f = to_float32(parse_npy(img.data(), img.size(), "d.npy"));
  EXPECT_EQ(f[0], 1.0f);                   // tie to even (down)
  EXPECT_EQ(f[1], 1.0f + 0x1p-22f);        // tie to even (up)
  EXPECT_EQ(f[2], 0.0f);                   // half the smallest subnormal: tie to even zero
  EXPECT_EQ(f[3], INFINITY);
}

TEST(Npy, MalformedFilesGiveClearErrors) {
  const std::vector<uint8_t> four(4), six(6);
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    std::vector<std::string> expect;
  };
  std::vector<Case> cases = {
      {"empty file", {}, {"missing the \\x93NUMPY magic"}},
      {"bad magic", {'N', 'U', 'M', 'P', 'Y', 'X', 1, 0, 0, 0, 0, 0}, {"not a .npy file"}},
      {"unknown version", npy_image(ok, four, 4), {"version 4"}},
      {"header length past the end", [&] {
         std::vector<uint8_t> b = npy_image(ok, four);
         b[8] = 0xFF;
         b[9] = 0x7F;
         return b;
       }(),
       {"header length 32767 runs past the end"}},
      {"header not a dict", npy_image("['descr', '<f4']", four), {"malformed .npy header", "expected '{'"}},
      {"missing key", npy_image("{'descr': '<f4', 'shape': (1,), }", four), {"lacks one of the keys"}},
      {"unknown key", npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", four),
       {"unexpected key 'x'"}},
      {"bad bool", npy_image("{'descr': '<f4', 'fortran_order': false, 'shape': (1,), }", four),
       {"expected True or False"}},
      {"unterminated string", npy_image("{'descr: '<f4'", four, 1, false), {"malformed"}},
      {"negative dimension", npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", four),
       {"non-negative integer dimension"}},
      {"huge dimension", npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", four),
       {"dimension too large"}},
      {"shape overflows", npy_image("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", four),
       {"shape is too large"}},
      {"unsupported dtype", npy_image("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", four),
       {"unsupported dtype '<i4'", "expected <f4"}},
      {"object dtype", npy_image("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", four),
       {"unsupported dtype '|O'"}},
      {"big-endian", npy_image("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four),
       {"big-endian dtype '>f4'"}},
      {"truncated data", npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", six),
       {"truncated data", "8 bytes", "holds 6"}},
      {"trailing bytes", npy_image(ok, six), {"2 unexpected bytes after the array data"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string msg = parse_error(c.bytes);
    ASSERT_FALSE(msg.empty()) << "accepted";
    EXPECT_EQ(msg.rfind("bad.npy: ", 0), 0u) << msg;
    for (const std::string& s : c.expect) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
  }
}

TEST(Npy, EveryTruncationIsAnError) {
  const std::vector<float> v = {1, 2, 3};
  const std::vector<uint8_t> full = serialize_npy(DType::kFloat32, {3}, v.data());
  for (size_t n = 0; n < full.size(); ++n) EXPECT_NE(parse_error({full.begin(), full.begin() + n}), "") << n;
}

TEST(Npy, FileErrorsNameThePathAndLeaveNoPartialFile) {
  TempDir dir;
  try {
    read_npy(dir.file("missing.npy"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.npy: cannot open"), std::string::npos) << e.what();
  }
  const float x = 1;
  EXPECT_THROW(write_npy(dir.file("no/such/dir/x.npy"), DType::kFloat32, {1}, &x), Error);
  EXPECT_TRUE(dir.list().empty());
}

}  // namespace
}  // namespace hifloat
