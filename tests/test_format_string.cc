// Format strings name[:key=value,...] (spec/README.md): parsing, validation,
// aliases, defaults and the canonical string.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hifloat/error.h"
#include "hifloat/format.h"

namespace hifloat {
namespace {

std::string parse_error(const std::string& text) {
  try {
    parse_format(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FormatString, DefaultsAreFilledAndSorted) {
  const FormatSpec s = parse_format("hif8");
  EXPECT_EQ(s.name, "hif8");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"overflow", "inf"}, {"rounding", "away"}, {"seed", "0"}};
  EXPECT_EQ(s.options, expected);
  EXPECT_EQ(s.option("rounding"), "away");
  EXPECT_THROW(s.option("group"), Error);
  EXPECT_EQ(parse_format("int4").option("group"), "32");
  EXPECT_EQ(parse_format("nvfp4").option("tensor_scale"), "on");
  EXPECT_TRUE(parse_format("mxfp4").options.empty());
}

TEST(FormatString, OptionOrderDoesNotMatterAndDefaultsMayBeSpelledOut) {
  EXPECT_EQ(parse_format("hif8:seed=7,rounding=stochastic"), parse_format("hif8:rounding=stochastic,seed=7"));
  EXPECT_EQ(parse_format("hif8:rounding=away,overflow=inf,seed=0"), parse_format("hif8"));
  EXPECT_NE(parse_format("hif8:rounding=even"), parse_format("hif8"));
}

TEST(FormatString, AliasesResolveToTheCanonicalName) {
  EXPECT_EQ(parse_format("hifx4").name, "hif4");
  EXPECT_EQ(parse_format("hifx4:rounding=even"), parse_format("hif4:rounding=even"));
  EXPECT_EQ(parse_format("hifx4").str(), "hif4");
  for (const FormatInfo& f : format_registry()) {
    for (const std::string& alias : f.aliases) EXPECT_EQ(parse_format(alias).name, f.name) << alias;
  }
}

TEST(FormatString, CanonicalStringListsOnlyNonDefaults) {
  EXPECT_EQ(parse_format("hif8").str(), "hif8");
  EXPECT_EQ(parse_format("hif8:seed=0,rounding=even").str(), "hif8:rounding=even");
  EXPECT_EQ(parse_format("hif8:seed=7,rounding=stochastic").str(), "hif8:rounding=stochastic,seed=7");
  EXPECT_EQ(parse_format("hif8").full_str(), "hif8:overflow=inf,rounding=away,seed=0");
  EXPECT_EQ(parse_format("int4:group=128").str(), "int4:group=128");
  EXPECT_EQ(parse_format("nvfp4:tensor_scale=off").str(), "nvfp4:tensor_scale=off");
}

TEST(FormatString, EveryRegisteredFormatAndOptionValueRoundTrips) {
  for (const FormatInfo& f : format_registry()) {
    std::vector<std::string> texts = {f.name};
    for (const OptionDef& d : f.options) {
      for (const std::string& v : d.values) texts.push_back(f.name + ":" + d.key + "=" + v);
    }
    for (const std::string& t : texts) {
      const FormatSpec s = parse_format(t);
      EXPECT_EQ(parse_format(s.str()), s) << t;
      EXPECT_EQ(parse_format(s.full_str()), s) << t;
      EXPECT_EQ(s.options.size(), f.options.size()) << t;
    }
  }
}

TEST(FormatString, FreeFormValuesAreValidated) {
  EXPECT_EQ(parse_format("hif8:rounding=stochastic,seed=18446744073709551615").option("seed"), "18446744073709551615");
  for (const char* bad : {"hif8:seed=18446744073709551616", "hif8:seed=-1", "hif8:seed=1e3", "hif8:seed=0x10"}) {
    EXPECT_NE(parse_error(bad).find("a decimal integer in [0, 2^64)"), std::string::npos) << bad << ": "
                                                                                          << parse_error(bad);
  }
  EXPECT_EQ(parse_format("int4:group=2").option("group"), "2");
  for (const char* bad : {"int4:group=3", "int4:group=0", "int4:group=032", "int4:group=-32", "int4:group=x"}) {
    EXPECT_NE(parse_error(bad).find("bad value"), std::string::npos) << bad << ": " << parse_error(bad);
  }
}

TEST(FormatString, ErrorsNameTheProblem) {
  const struct {
    const char* text;
    std::vector<std::string> expect;
  } cases[] = {
      {"", {"empty format string"}},
      {"hif9", {"unknown format 'hif9'", "known formats: hif8"}},
      {"HIF8", {"character 'H' is not allowed"}},
      {"hif8 ", {"character ' ' is not allowed"}},
      {"hif8:", {"':' must be followed by key=value"}},
      {"hif8:rounding", {"option 'rounding' is not of the form key=value"}},
      {"hif8:=even", {"option '=even' is not of the form key=value"}},
      {"hif8:rounding=", {"option 'rounding=' is not of the form key=value"}},
      {"hif8:rounding=even,", {"option '' is not of the form key=value"}},
      {"hif8:rounding=even,,seed=1", {"option '' is not of the form key=value"}},
      {"hif8:a=b=c", {"option 'a=b=c' is not of the form key=value"}},
      {"hif8:group=32", {"format 'hif8' has no option 'group'", "options: rounding, seed, overflow"}},
      {"mxfp4:rounding=even", {"format 'mxfp4' has no option 'rounding'", "takes no options"}},
      {"hif8:rounding=up", {"bad value 'up' for option 'rounding'", "away, even, zero, stochastic"}},
      {"hif8:rounding=even,rounding=away", {"option 'rounding' given twice"}},
      {"hifx4:rounding=zero", {"format 'hif4': bad value 'zero'"}},
      {":rounding=even", {"unknown format ''"}},
  };
  for (const auto& c : cases) {
    const std::string msg = parse_error(c.text);
    ASSERT_FALSE(msg.empty()) << "'" << c.text << "' accepted";
    for (const std::string& s : c.expect) {
      EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
    }
  }
}

}  // namespace
}  // namespace hifloat
