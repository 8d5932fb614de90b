// safetensors reader/writer and packed tensors in safetensors files:
// round trips, interoperability with the Python `safetensors` package, and a
// clear Error (never a crash) for every kind of malformed file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hifloat/codec.h"
#include "hifloat/error.h"
#include "hifloat/format.h"
#include "hifloat/npy.h"
#include "hifloat/packed_safetensors.h"
#include "hifloat/safetensors.h"
#include "temp_dir.h"

namespace hifloat {
namespace {

using testing::TempDir;

// ------------------------------------------------------------ helpers

// A file image: 8-byte little-endian header length, header, data.
std::vector<uint8_t> st_image(const std::string& header, const std::vector<uint8_t>& data = {},
                              std::optional<uint64_t> header_len = std::nullopt) {
  const uint64_t n = header_len.value_or(header.size());
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// The message of the Error reading `bytes` throws, or "" if it reads fine.
std::string read_error(const std::vector<uint8_t>& bytes) {
  try {
    SafetensorsReader r(bytes, "bad.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<uint8_t> bytes_of(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  return std::vector<uint8_t>(b, b + n);
}

// Every format that has a codec in this build, each with its defaults and
// with every non-default value of each enumerated option.
std::vector<FormatSpec> implemented_formats() {
  std::vector<FormatSpec> out;
  for (const FormatInfo& f : format_registry()) {
    try {
      make_codec(f.name);
    } catch (const Error&) {
      continue;  // not merged into this build yet
    }
    out.push_back(parse_format(f.name));
    for (const OptionDef& d : f.options) {
      for (const std::string& v : d.values) {
        if (v != d.default_value) out.push_back(parse_format(f.name + ":" + d.key + "=" + v));
      }
    }
  }
  return out;
}

std::vector<float> sample_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> scale(-20, 20);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = std::ldexp(normal(rng), scale(rng) / 4);
  if (n > 3) {
    x[0] = 0.0f;
    x[1] = -0.0f;
    x[2] = 1000.0f;
  }
  return x;
}

bool same_value(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

bool python_safetensors_available() {
  return std::system("python3 -c 'import numpy, safetensors' >/dev/null 2>&1") == 0;
}

// ------------------------------------------------------------ dtypes

TEST(SafetensorsDType, NamesAndSizesFollowTheSafetensorsSpec) {
  const struct {
    const char* name;
    size_t size;
  } expected[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},    {"I32", 4},     {"I16", 2},
                  {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}, {"F8_E4M3", 1},
                  {"F8_E5M2", 1}};
  for (const auto& e : expected) {
    const auto d = parse_st_dtype(e.name);
    ASSERT_TRUE(d) << e.name;
    EXPECT_STREQ(st_dtype_name(*d), e.name);
    EXPECT_EQ(st_dtype_size(*d), e.size) << e.name;
  }
  EXPECT_FALSE(parse_st_dtype("f32"));
  EXPECT_FALSE(parse_st_dtype("F8_E4M3FN"));
  EXPECT_FALSE(parse_st_dtype(""));
}

// ------------------------------------------------------------ plain round trips

TEST(SafetensorsFile, PlainTensorsRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("plain.safetensors");
  const float w[6] = {0.5f, -1.0f, 2.25f, 3.0f, -0.0f, 1e-30f};
  const int64_t ids[3] = {1, -2, int64_t{1} << 40};
  const uint16_t h = 0x3C00;  // 1.0 in float16
  const uint16_t bf[2] = {0x3F80, 0xC000};

  SafetensorsLayout layout;
  layout.add("w", StDType::F32, {2, 3});
  layout.add("ids", StDType::I64, {3});
  layout.add("empty", StDType::BOOL, {0, 7});
  layout.add("scalar", StDType::F16, {});
  layout.add("bf", StDType::BF16, {2});
  layout.metadata["note"] = "hello \"world\"\n";
  SafetensorsWriter writer(path, layout);
  writer.write_tensor("w", bytes_of(w, sizeof w));
  writer.write_tensor("ids", bytes_of(ids, sizeof ids));
  writer.write_tensor("scalar", bytes_of(&h, 2));  // passes over the empty tensor
  writer.write_tensor("bf", bytes_of(bf, sizeof bf));
  writer.commit();

  const SafetensorsReader r(path);
  EXPECT_EQ(r.metadata().size(), 1u);
  EXPECT_EQ(r.metadata().at("note"), "hello \"world\"\n");
  ASSERT_EQ(r.tensors().size(), 5u);
  const StTensorInfo& tw = r.tensor("w");
  EXPECT_EQ(tw.dtype, StDType::F32);
  EXPECT_EQ(tw.shape, (Shape{2, 3}));
  EXPECT_EQ(tw.begin, 0u);
  EXPECT_EQ(r.data("w").size(), sizeof w);
  EXPECT_EQ(std::memcmp(r.data("w").data(), w, sizeof w), 0);
  EXPECT_EQ(std::memcmp(r.data("ids").data(), ids, sizeof ids), 0);
  EXPECT_EQ(r.tensor("empty").shape, (Shape{0, 7}));
  EXPECT_EQ(r.data("empty").size(), 0u);
  EXPECT_EQ(r.tensor("scalar").shape, Shape{});
  EXPECT_EQ(std::memcmp(r.data("scalar").data(), &h, 2), 0);
  EXPECT_EQ(std::memcmp(r.data("bf").data(), bf, sizeof bf), 0);
  // Spans point into the mapping: no copies, the same bytes each time.
  EXPECT_EQ(r.data("w").data(), r.data("w").data());
  EXPECT_EQ(r.find("nope"), nullptr);
  EXPECT_THROW(r.tensor("nope"), Error);

  // The data section starts 8-byte aligned (header padded with spaces).
  const std::vector<uint8_t> raw = [&] {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }();
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | raw[i];
  EXPECT_EQ((8 + n) % 8, 0u);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"plain.safetensors"});  // no temporary left behind
}

TEST(SafetensorsFile, EmptyFileWithNoTensors) {
  TempDir dir;
  const std::string path = dir.file("none.safetensors");
  SafetensorsWriter w(path, {});
  w.commit();
  const SafetensorsReader r(path);
  EXPECT_TRUE(r.tensors().empty());
  EXPECT_TRUE(r.metadata().empty());
}

TEST(SafetensorsWriter, StreamsATensorInPieces) {
  TempDir dir;
  const std::string path = dir.file("pieces.safetensors");
  std::vector<uint8_t> a(1000), b(37);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(255 - i);
  SafetensorsLayout layout;
  layout.add("a", StDType::U8, {1000});
  layout.add("z", StDType::I32, {0});
  layout.add("b", StDType::U8, {37});
  SafetensorsWriter w(path, layout);
  EXPECT_EQ(w.current_tensor(), "a");
  for (size_t off = 0; off < a.size(); off += 300) {
    w.write(std::span<const uint8_t>(a).subspan(off, std::min<size_t>(300, a.size() - off)));
  }
  EXPECT_EQ(w.current_tensor(), "z");
  w.write(b);
  EXPECT_EQ(w.current_tensor(), "");
  w.commit();
  const SafetensorsReader r(path);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), r.data("a").begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), r.data("b").begin()));
}

TEST(SafetensorsWriter, MisuseIsAnErrorAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("out.safetensors");
  const std::vector<uint8_t> four(4), eight(8);
  SafetensorsLayout layout;
  layout.add("a", StDType::F32, {1});
  layout.add("b", StDType::F32, {2});
  {
    SafetensorsWriter w(path, layout);
    try {
      w.write_tensor("b", eight);
      FAIL() << "out-of-order write accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("expected 'a' next"), std::string::npos) << e.what();
    }
    try {
      w.write_tensor("a", eight);
      FAIL() << "wrong size accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("declared as 4 bytes but 8"), std::string::npos) << e.what();
    }
    w.write_tensor("a", four);
    try {
      w.write(std::vector<uint8_t>(9));
      FAIL() << "overlong piece accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("8 bytes left of tensor 'b'"), std::string::npos) << e.what();
    }
    w.write(four);
    try {
      w.commit();
      FAIL() << "commit of an incomplete file accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tensor 'b' has 4 of its 8 bytes"), std::string::npos) << e.what();
    }
  }  // destroyed without commit
  EXPECT_TRUE(dir.list().empty());

  SafetensorsLayout dup;
  dup.add("a", StDType::F32, {1});
  dup.add("a", StDType::F32, {1});
  EXPECT_THROW(SafetensorsWriter(path, dup), Error);
  SafetensorsLayout reserved;
  reserved.add("__metadata__", StDType::F32, {1});
  EXPECT_THROW(SafetensorsWriter(path, reserved), Error);
  SafetensorsLayout huge;
  huge.add("h", StDType::F64, {int64_t{1} << 40, int64_t{1} << 40});
  EXPECT_THROW(SafetensorsWriter(path, huge), Error);
  EXPECT_THROW(SafetensorsWriter(dir.file("no/such/dir/x.safetensors"), layout), Error);
  EXPECT_TRUE(dir.list().empty());
}

TEST(SafetensorsWriter, ExistingFileIsReplacedOnlyOnCommit) {
  TempDir dir;
  const std::string path = dir.file("keep.safetensors");
  dir.write("keep.safetensors", {1, 2, 3});
  SafetensorsLayout layout;
  layout.add("a", StDType::U8, {2});
  {
    SafetensorsWriter w(path, layout);
    w.write_tensor("a", std::vector<uint8_t>{9, 9});
  }  // abandoned
  EXPECT_EQ(dir.list(), std::vector<std::string>{"keep.safetensors"});
  EXPECT_EQ(std::filesystem::file_size(path), 3u);
  {
    SafetensorsWriter w(path, layout);
    w.write_tensor("a", std::vector<uint8_t>{9, 9});
    w.commit();
  }
  EXPECT_EQ(SafetensorsReader(path).data("a")[1], 9);
}

// ------------------------------------------------------------ malformed files

struct BadCase {
  const char* what;
  std::vector<uint8_t> bytes;
  std::vector<std::string> expect;  // substrings of the message
};

std::vector<BadCase> bad_cases() {
  const std::vector<uint8_t> d8(8, 0);
  const std::string ok_entry = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  std::vector<BadCase> c;
  c.push_back({"shorter than the length field", {1, 2, 3}, {"3 bytes", "too short"}});
  c.push_back({"header length over the cap", st_image("{}", {}, uint64_t{200'000'000}), {"200000000", "exceeds"}});
  c.push_back({"header length of 2^64-1", st_image("{}", {}, ~uint64_t{0}), {"exceeds"}});
  c.push_back({"truncated header", st_image(R"({"t":{"dtype")", {}, 100), {"header length 100", "truncated"}});
  c.push_back({"empty header", st_image(""), {"must be a JSON object"}});
  c.push_back({"header not an object", st_image("[1,2]"), {"must be a JSON object"}});
  c.push_back({"invalid JSON", st_image(R"({"t":{"dtype":"F32",})"), {"not valid JSON"}});
  c.push_back({"trailing garbage after JSON", st_image("{} x"), {"not valid JSON"}});
  c.push_back({"duplicate tensor", st_image("{" + ok_entry + "," + ok_entry + "}", d8), {"'t' twice"}});
  c.push_back({"deep nesting", st_image("{\"__metadata__\":" + std::string(40, '[') + std::string(40, ']') + "}"),
               {"nests deeper"}});
  c.push_back({"unknown dtype", st_image(R"({"t":{"dtype":"F13","shape":[2],"data_offsets":[0,8]}})", d8),
               {"tensor 't'", "unknown dtype 'F13'", "F32"}});
  c.push_back({"missing dtype", st_image(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", d8),
               {"tensor 't'", "'dtype'"}});
  c.push_back({"unexpected key", st_image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", d8),
               {"tensor 't'", "unexpected key 'x'"}});
  c.push_back({"entry not an object", st_image(R"({"t":[1]})"), {"tensor 't'", "must be an object"}});
  c.push_back({"negative dimension", st_image(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8),
               {"tensor 't'", "-2", "non-negative integer"}});
  c.push_back({"fractional dimension", st_image(R"({"t":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", d8),
               {"2.5", "non-negative integer"}});
  c.push_back({"shape not an array", st_image(R"({"t":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", d8),
               {"'shape'"}});
  c.push_back({"shape overflows",
               st_image(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", d8),
               {"tensor 't'", "too large"}});
  c.push_back({"byte size mismatch", st_image(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8),
               {"tensor 't'", "span 8 bytes", "needs 12"}});
  c.push_back({"offsets not a pair", st_image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", d8),
               {"tensor 't'", "data_offsets"}});
  c.push_back({"negative offset", st_image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", d8),
               {"tensor 't'", "data_offsets"}});
  c.push_back({"begin after end", st_image(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", d8),
               {"tensor 't'", "begin > end"}});
  c.push_back({"offsets out of range", st_image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", d8),
               {"tensor 't'", "[8, 16]", "past the end of the data section (8 bytes"}});
  c.push_back({"truncated data",
               st_image(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::vector<uint8_t>(10)),
               {"tensor 't'", "truncated"}});
  c.push_back({"overlapping offsets",
               st_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        std::vector<uint8_t>(12)),
               {"tensor 'b'", "overlap tensor 'a'"}});
  c.push_back({"identical offsets",
               st_image(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
                        d8),
               {"overlap"}});
  c.push_back({"hole between tensors",
               st_image(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                        R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
                        std::vector<uint8_t>(6)),
               {"tensor 'b'", "hole"}});
  c.push_back({"trailing bytes", st_image(R"({"t":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", d8),
               {"8 bytes", "cover only 2", "trailing"}});
  c.push_back({"metadata not an object", st_image(R"({"__metadata__":"x"})"), {"__metadata__", "object"}});
  c.push_back({"metadata value not a string", st_image(R"({"__metadata__":{"k":1}})"),
               {"__metadata__ entry 'k'", "string"}});
  c.push_back({"non-UTF-8 header", st_image("{\"\xff\":1}"), {"not valid JSON"}});
  return c;
}

TEST(SafetensorsReader, MalformedFilesGiveClearErrors) {
  for (const BadCase& c : bad_cases()) {
    SCOPED_TRACE(c.what);
    const std::string msg = read_error(c.bytes);
    ASSERT_FALSE(msg.empty()) << "accepted";
    EXPECT_EQ(msg.rfind("bad.safetensors: ", 0), 0u) << msg;  // names the file
    for (const std::string& s : c.expect) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
  }
}

TEST(SafetensorsReader, EveryTruncationOfAValidFileIsAnError) {
  TempDir dir;
  const std::string path = dir.file("v.safetensors");
  const float x[5] = {1, 2, 3, 4, 5};
  SafetensorsLayout layout;
  layout.add("x", StDType::F32, {5});
  layout.metadata["k"] = "v";
  SafetensorsWriter w(path, layout);
  w.write_tensor("x", bytes_of(x, sizeof x));
  w.commit();
  const std::vector<uint8_t> full = read_file(path);
  EXPECT_EQ(read_error(full), "");
  for (size_t n = 0; n < full.size(); ++n) {
    const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(read_error(cut), "") << "prefix of " << n << " bytes accepted";
  }
}

TEST(SafetensorsReader, FileSystemErrors) {
  TempDir dir;
  try {
    SafetensorsReader r(dir.file("missing.safetensors"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.safetensors: cannot open"), std::string::npos) << e.what();
  }
  dir.write("empty.safetensors", {});
  try {
    SafetensorsReader r(dir.file("empty.safetensors"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0 bytes, too short"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SafetensorsReader r(dir.path()), Error);  // a directory
  // A truncated file on disk goes through the same checks as one in memory.
  const std::vector<uint8_t> image = st_image(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                                              std::vector<uint8_t>(10));
  dir.write("trunc.safetensors", image);
  try {
    SafetensorsReader r(dir.file("trunc.safetensors"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("trunc.safetensors: tensor 't'"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------ packed tensors

TEST(PackedSafetensors, EveryImplementedFormatRoundTrips) {
  const std::vector<FormatSpec> formats = implemented_formats();
  ASSERT_FALSE(formats.empty());
  const std::vector<std::pair<Shape, int>> cases = {
      {{3, 70}, 1}, {{3, 70}, 0}, {{2, 5, 33}, -1}, {{2, 5, 33}, 1}, {{130}, 0}, {{0, 4}, 1}, {{4, 0}, 0}, {{}, 0}};
  TempDir dir;
  for (const FormatSpec& format : formats) {
    SCOPED_TRACE(format.full_str());
    std::vector<Packed> packed;
    std::vector<NamedPacked> named;
    packed.reserve(cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& [shape, axis] = cases[i];
      const std::vector<float> x = sample_values(static_cast<size_t>(num_elements(shape)), static_cast<uint32_t>(i));
      packed.push_back(encode(format, x.data(), shape, axis));
    }
    for (size_t i = 0; i < cases.size(); ++i) {
      named.push_back({"t" + std::to_string(i), &packed[i], i % 2 ? StDType::F16 : StDType::F32});
    }
    const std::string path = dir.file("packed.safetensors");
    write_packed_safetensors(path, named);

    const SafetensorsReader r(path);
    EXPECT_EQ(r.metadata().at("hifloat.version"), "1");
    const std::vector<std::string> names = packed_tensor_names(r);
    ASSERT_EQ(names.size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      const std::string name = "t" + std::to_string(i);
      SCOPED_TRACE(name);
      const PackedTensorInfo info = packed_info(r, name);
      EXPECT_EQ(info.format, format);
      EXPECT_EQ(info.shape, packed[i].shape);
      EXPECT_EQ(info.axis, packed[i].axis);
      EXPECT_EQ(info.dtype, i % 2 ? StDType::F16 : StDType::F32);
      EXPECT_EQ(info.nbytes, packed[i].data.size());
      const Packed back = read_packed(r, name);
      EXPECT_EQ(back.format, packed[i].format);
      EXPECT_EQ(back.shape, packed[i].shape);
      EXPECT_EQ(back.axis, packed[i].axis);
      EXPECT_EQ(back.data, packed[i].data);

      std::vector<float> expected(packed[i].num_elements()), got(expected.size());
      decode(packed[i], expected.data());
      decode_packed(r, info, got);
      for (size_t k = 0; k < got.size(); ++k) ASSERT_TRUE(same_value(got[k], expected[k])) << k;
    }
  }
}

TEST(PackedSafetensors, MetadataIsCompactJsonInTheDocumentedOrder) {
  TempDir dir;
  const std::vector<float> x(6, 1.0f);
  const Packed p = encode(parse_format("hif8:rounding=even,seed=0"), x.data(), {2, 3}, -1);
  const NamedPacked t{"layer.w", &p, StDType::BF16};
  write_packed_safetensors(dir.file("m.safetensors"), std::span<const NamedPacked>(&t, 1));
  const SafetensorsReader r(dir.file("m.safetensors"));
  EXPECT_EQ(r.metadata().at("hifloat:layer.w"),
            R"({"format":"hif8:rounding=even","shape":[2,3],"axis":1,"dtype":"BF16"})");
  EXPECT_EQ(r.tensor("layer.w").dtype, StDType::U8);
  EXPECT_EQ(r.tensor("layer.w").shape, Shape{6});
}

TEST(PackedSafetensors, PlainTensorsAreNotPacked) {
  TempDir dir;
  const std::vector<float> x(6, 1.0f);
  const Packed p = encode(parse_format("hif8"), x.data(), {6}, 0);
  SafetensorsLayout layout;
  add_packed(layout, "q", p);
  layout.add("bias", StDType::F32, {6});
  SafetensorsWriter w(dir.file("mix.safetensors"), layout);
  w.write_tensor("q", p.data);
  w.write_tensor("bias", bytes_of(x.data(), 24));
  w.commit();
  const SafetensorsReader r(dir.file("mix.safetensors"));
  EXPECT_EQ(packed_tensor_names(r), std::vector<std::string>{"q"});
  EXPECT_TRUE(is_packed(r, "q"));
  EXPECT_FALSE(is_packed(r, "bias"));
  EXPECT_THROW(packed_info(r, "bias"), Error);
}

// A file holding one U8 tensor "q" of `nbytes` bytes with the given metadata.
std::string packed_error(const std::map<std::string, std::string>& metadata, size_t nbytes = 6,
                         StDType dtype = StDType::U8) {
  TempDir dir;
  const std::string path = dir.file("p.safetensors");
  SafetensorsLayout layout;
  layout.metadata = metadata;
  layout.add("q", dtype, {static_cast<int64_t>(nbytes / st_dtype_size(dtype))});
  SafetensorsWriter w(path, layout);
  w.write_tensor("q", std::vector<uint8_t>(nbytes, 0x11));
  w.commit();
  try {
    const SafetensorsReader r(path);
    for (const std::string& name : packed_tensor_names(r)) {
      std::vector<float> out(static_cast<size_t>(num_elements(packed_info(r, name).shape)));
      decode_packed(r, packed_info(r, name), out);
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PackedSafetensors, BadMetadataGivesClearErrors) {
  const std::string v = "hifloat.version";
  const std::string ok = R"({"format":"hif8","shape":[2,3],"axis":1,"dtype":"F32"})";
  ASSERT_EQ(packed_error({{v, "1"}, {"hifloat:q", ok}}), "");
  const struct {
    const char* what;
    std::map<std::string, std::string> metadata;
    size_t nbytes;
    StDType dtype;
    std::vector<std::string> expect;
  } cases[] = {
      {"unparseable JSON", {{v, "1"}, {"hifloat:q", R"({"format":"hif8",)"}}, 6, StDType::U8,
       {"packed tensor 'q'", "not valid JSON"}},
      {"JSON not an object", {{v, "1"}, {"hifloat:q", "[1]"}}, 6, StDType::U8, {"exactly the keys"}},
      {"missing key", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[6],"axis":0})"}}, 6, StDType::U8,
       {"exactly the keys format, shape, axis, dtype"}},
      {"extra key", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[6],"axis":0,"dtype":"F32","x":1})"}}, 6,
       StDType::U8, {"exactly the keys"}},
      {"duplicate key",
       {{v, "1"}, {"hifloat:q", R"({"format":"hif8","format":"hif8","shape":[6],"axis":0,"dtype":"F32"})"}}, 6,
       StDType::U8, {"'format' twice"}},
      {"unknown format", {{v, "1"}, {"hifloat:q", R"({"format":"hif9","shape":[6],"axis":0,"dtype":"F32"})"}}, 6,
       StDType::U8, {"packed tensor 'q'", "unknown format 'hif9'"}},
      {"bad format option",
       {{v, "1"}, {"hifloat:q", R"({"format":"hif8:rounding=up","shape":[6],"axis":0,"dtype":"F32"})"}}, 6,
       StDType::U8, {"bad value 'up'"}},
      {"format not a string", {{v, "1"}, {"hifloat:q", R"({"format":8,"shape":[6],"axis":0,"dtype":"F32"})"}}, 6,
       StDType::U8, {"'format'"}},
      {"wrong byte count", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[2,4],"axis":1,"dtype":"F32"})"}}, 6,
       StDType::U8, {"packed tensor 'q'", "holds 6 bytes", "needs 8"}},
      {"axis out of range", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[2,3],"axis":2,"dtype":"F32"})"}},
       6, StDType::U8, {"axis 2 is out of range"}},
      {"negative axis", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[2,3],"axis":-1,"dtype":"F32"})"}}, 6,
       StDType::U8, {"axis -1 is out of range"}},
      {"negative dimension", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[-6],"axis":0,"dtype":"F32"})"}},
       6, StDType::U8, {"shape entry -6"}},
      {"huge shape",
       {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[16777216,16777216,16777216],"axis":0,"dtype":"F32"})"}},
       6, StDType::U8, {"more than 2^48"}},
      {"non-float original dtype",
       {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[6],"axis":0,"dtype":"I8"})"}}, 6, StDType::U8,
       {"dtype \"I8\" is not one of"}},
      {"stored as F16", {{v, "1"}, {"hifloat:q", R"({"format":"hif8","shape":[6],"axis":0,"dtype":"F32"})"}}, 6,
       StDType::F16, {"stored as F16", "must be U8"}},
      {"no version", {{"hifloat:q", ok}}, 6, StDType::U8, {"'hifloat.version'"}},
      {"unknown version", {{v, "2"}, {"hifloat:q", ok}}, 6, StDType::U8, {"unsupported hifloat.version '2'"}},
      {"entry without tensor", {{v, "1"}, {"hifloat:q", ok}, {"hifloat:gone", ok}}, 6, StDType::U8,
       {"'hifloat:gone' names no tensor"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string msg = packed_error(c.metadata, c.nbytes, c.dtype);
    ASSERT_FALSE(msg.empty()) << "accepted";
    EXPECT_NE(msg.find("p.safetensors"), std::string::npos) << msg;
    for (const std::string& s : c.expect) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
  }
}

// Packed bytes are untrusted: any byte values must decode without a crash
// (ASan/UBSan builds check this), and a wrong length is caught first.
TEST(PackedSafetensors, CorruptPackedBytesNeverCrashTheDecoder) {
  TempDir dir;
  std::mt19937 rng(7);
  for (const FormatSpec& format : implemented_formats()) {
    SCOPED_TRACE(format.full_str());
    for (const auto& [shape, axis] : std::vector<std::pair<Shape, int>>{{{5, 67}, 1}, {{67, 5}, 0}}) {
      const std::vector<float> x = sample_values(static_cast<size_t>(num_elements(shape)), 3);
      Packed p = encode(format, x.data(), shape, axis);
      for (int trial = 0; trial < 8; ++trial) {
        for (uint8_t& b : p.data) b = static_cast<uint8_t>(trial < 2 ? (trial ? 0xFF : 0x00) : rng());
        const NamedPacked t{"t", &p, StDType::F32};
        write_packed_safetensors(dir.file("c.safetensors"), std::span<const NamedPacked>(&t, 1));
        const SafetensorsReader r(dir.file("c.safetensors"));
        std::vector<float> out(p.num_elements());
        // Either it decodes, or the codec rejects a field it can tell is invalid
        // (e.g. an NVFP4 tensor scale that is not positive): a clear error, never a crash.
        try {
          decode_packed(r, packed_info(r, "t"), out);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find(format.name), std::string::npos) << e.what();
        }
      }
      // One byte short or long: the byte count check rejects it.
      for (const ptrdiff_t delta : {-1, 1}) {
        const std::string meta = std::string(R"({"format":")") + format.str() + R"(","shape":[)" +
                                 std::to_string(shape[0]) + "," + std::to_string(shape[1]) + R"(],"axis":)" +
                                 std::to_string(axis) + R"(,"dtype":"F32"})";
        const std::string msg = packed_error({{"hifloat.version", "1"}, {"hifloat:q", meta}},
                                             static_cast<size_t>(static_cast<ptrdiff_t>(p.data.size()) + delta));
        EXPECT_NE(msg.find("needs " + std::to_string(p.data.size())), std::string::npos) << msg;
      }
    }
  }
}

// ------------------------------------------------------------ Python interop

TEST(SafetensorsPython, FilesAreReadableByThePythonPackageAndViceVersa) {
  if (!python_safetensors_available()) {
    GTEST_SKIP() << "python3 with numpy and safetensors is not installed (pip install -r python/requirements-dev.txt)";
  }
  TempDir dir;
  // Ours, read by Python.
  const float w[6] = {0.5f, -1.0f, 2.25f, 3.0f, -0.0f, 1e-30f};
  const int64_t ids[3] = {1, -2, int64_t{1} << 40};
  const std::vector<float> q(20, 3.3f);
  const Packed p = encode(parse_format("hif8"), q.data(), {4, 5}, -1);
  SafetensorsLayout layout;
  layout.add("w", StDType::F32, {2, 3});
  layout.add("ids", StDType::I64, {3});
  add_packed(layout, "q", p);
  layout.metadata["note"] = "hi";
  SafetensorsWriter writer(dir.file("ours.safetensors"), layout);
  writer.write_tensor("w", bytes_of(w, sizeof w));
  writer.write_tensor("ids", bytes_of(ids, sizeof ids));
  writer.write_tensor("q", p.data);
  writer.commit();

  const std::string script = R"(
import json, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
d = sys.argv[1]
t = load_file(d + "/ours.safetensors")
assert t["w"].dtype == np.float32 and t["w"].shape == (2, 3), t["w"]
assert t["w"].tolist() == [[0.5, -1.0, 2.25], [3.0, -0.0, np.float32(1e-30)]], t["w"]
assert t["ids"].dtype == np.int64 and t["ids"].tolist() == [1, -2, 1 << 40]
assert t["q"].dtype == np.uint8 and t["q"].shape == (20,) and (t["q"] == 0x15).all(), t["q"]
with safe_open(d + "/ours.safetensors", framework="np") as f:
    m = f.metadata()
assert m["note"] == "hi" and m["hifloat.version"] == "1", m
assert json.loads(m["hifloat:q"]) == {"format": "hif8", "shape": [4, 5], "axis": 1, "dtype": "F32"}, m
save_file({"a": np.arange(4, dtype=np.float32).reshape(2, 2), "h": np.array([1.5, -2, 0], dtype=np.float16),
           "e": np.zeros((0, 3), dtype=np.int8), "b": np.array([True, False]), "s": np.array(2.5, dtype=np.float64)},
          d + "/theirs.safetensors", metadata={"k": "v"})
)";
  {
    std::ofstream f(dir.file("check.py"));
    f << script;
  }
  const std::string cmd = "python3 " + dir.file("check.py") + " " + dir.path();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "the Python check failed; see its output above";

  // Python's, read by us.
  const SafetensorsReader r(dir.file("theirs.safetensors"));
  EXPECT_EQ(r.metadata().at("k"), "v");
  const float a[4] = {0, 1, 2, 3};
  EXPECT_EQ(r.tensor("a").shape, (Shape{2, 2}));
  EXPECT_EQ(std::memcmp(r.data("a").data(), a, 16), 0);
  const uint16_t h[3] = {0x3E00, 0xC000, 0x0000};
  EXPECT_EQ(r.tensor("h").dtype, StDType::F16);
  EXPECT_EQ(std::memcmp(r.data("h").data(), h, 6), 0);
  EXPECT_EQ(r.tensor("e").dtype, StDType::I8);
  EXPECT_EQ(r.tensor("e").shape, (Shape{0, 3}));
  EXPECT_EQ(r.tensor("b").dtype, StDType::BOOL);
  EXPECT_EQ(r.data("b")[0], 1);
  EXPECT_EQ(r.tensor("s").shape, Shape{});
  double s;
  std::memcpy(&s, r.data("s").data(), 8);
  EXPECT_EQ(s, 2.5);
}

}  // namespace
}  // namespace hifloat
