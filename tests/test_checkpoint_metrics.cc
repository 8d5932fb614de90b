// Error metrics (hifloat/metrics.h) on hand-worked examples, and recipes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "hifloat/error.h"
#include "hifloat/metrics.h"
#include "hifloat/recipe.h"

namespace hifloat {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(CheckpointMetrics, HandWorkedExample) {
  // x = (3, 4, 0, 1), q = (3, 4.5, 0, 0): sum x^2 = 26, sum e^2 = 0.25 + 1 = 1.25,
  // sum q^2 = 29.25, sum x q = 27; one nonzero input flushed to zero.
  const std::vector<float> x = {3, 4, 0, 1}, q = {3, 4.5f, 0, 0};
  const ErrorMetrics m = error_metrics(x, q);
  EXPECT_EQ(m.elements, 4u);
  EXPECT_DOUBLE_EQ(m.rel_mse, 1.25 / 26);
  EXPECT_DOUBLE_EQ(m.sqnr_db, 10 * std::log10(26 / 1.25));
  EXPECT_DOUBLE_EQ(m.cosine, 27 / std::sqrt(26 * 29.25));
  EXPECT_EQ(m.max_abs_err, 1.0);
  EXPECT_EQ(m.zero_share, 0.25);
  EXPECT_EQ(m.nonfinite, 0u);
}

TEST(CheckpointMetrics, ExactZeroAndNonfiniteCases) {
  const std::vector<float> zeros(5, 0.0f);
  ErrorMetrics m = error_metrics(zeros, zeros);
  EXPECT_EQ(m.rel_mse, 0);
  EXPECT_EQ(m.sqnr_db, kInf);
  EXPECT_EQ(m.cosine, 1);
  const std::vector<float> x = {0, 0}, q = {1, 0};
  m = error_metrics(x, q);
  EXPECT_EQ(m.rel_mse, kInf);
  EXPECT_EQ(m.sqnr_db, -kInf);
  EXPECT_EQ(m.cosine, 0);
  // Non-finite outputs are counted and left out of the sums.
  const std::vector<float> x2 = {1, 2, 1e30f}, q2 = {1, 2, std::numeric_limits<float>::infinity()};
  m = error_metrics(x2, q2);
  EXPECT_EQ(m.nonfinite, 1u);
  EXPECT_EQ(m.sqnr_db, kInf);
}

TEST(CheckpointMetrics, ChunksAddUpToTheWhole) {
  std::vector<float> x, q;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(std::sin(0.37f * static_cast<float>(i)));
    q.push_back(std::round(x.back() * 8) / 8);
  }
  const ErrorMetrics whole = error_metrics(x, q);
  ErrorAccumulator acc;
  acc.add(std::span(x).subspan(0, 333), std::span(q).subspan(0, 333));
  acc.add(std::span(x).subspan(333), std::span(q).subspan(333));
  const ErrorMetrics parts = acc.result();
  EXPECT_NEAR(parts.rel_mse, whole.rel_mse, 1e-15);
  EXPECT_EQ(parts.max_abs_err, whole.max_abs_err);
  EXPECT_EQ(parts.zero_share, whole.zero_share);
  EXPECT_THROW(acc.add(std::span(x).subspan(0, 2), std::span(q).subspan(0, 3)), Error);
}

TEST(CheckpointRecipe, KeepRulesDefaultInOrder) {
  const Recipe r = Recipe::parse(
      R"({"default": "hif4", "rules": [{"pattern": "attn", "format": "hif8"},
                                       {"pattern": "down", "format": "int4:group=64", "axis": 0},
                                       {"pattern": "bias$", "format": "keep"}]})",
      "r.json");
  const AxisChoice last;
  EXPECT_FALSE(r.choose("model.layers.0.input_layernorm.weight", last).format);  // default keep list
  EXPECT_FALSE(r.choose("model.embed_tokens.weight", last).format);
  EXPECT_FALSE(r.choose("lm_head.weight", last).format);
  EXPECT_FALSE(r.choose("encoder.LayerNorm.weight", last).format);  // case-insensitive
  EXPECT_EQ(r.choose("layers.0.self_attn.q.weight", last).format->name, "hif8");
  const RecipeChoice down = r.choose("mlp.down_proj.weight", last);
  EXPECT_EQ(down.format->str(), "int4:group=64");
  EXPECT_FALSE(down.axis.last);
  EXPECT_EQ(down.axis.index, 0);
  EXPECT_FALSE(r.choose("mlp.up_proj.bias", last).format);
  EXPECT_EQ(r.choose("mlp.up_proj.weight", last).format->name, "hif4");
  EXPECT_EQ(r.formats().size(), 3u);
}

TEST(CheckpointRecipe, ErrorsNameTheFileAndEntry) {
  auto message = [](const char* text) {
    try {
      (void)Recipe::parse(text, "my.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("[1]").find("my.json"), std::string::npos);
  EXPECT_NE(message(R"({"default": "hif8", "rules": [{"pattern": "a", "format": "x9"}]})").find("rule 1"),
            std::string::npos);
  EXPECT_NE(message(R"({"default": "hif8", "rules": [{"pattern": "a", "format": "hif8", "axis": -2}]})")
                .find("axis"),
            std::string::npos);
  EXPECT_THROW(parse_axis_choice("1x"), Error);
  EXPECT_TRUE(parse_axis_choice("last").last);
}

}  // namespace
}  // namespace hifloat
