// The catalog and make_activation: every entry builds with its defaults; bad names, keys and
// values are refused with messages that list what is accepted.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"

using Catch::Contains;

TEST_CASE("the catalog lists every shipped activation once", "[activations]") {
  const std::vector<std::string> expected = {
      "relu", "erf", "leaky_relu", "abrelu", "abs", "sin", "cos", "gelu", "gaussian", "exp",
      "sign", "monomial", "rectified_monomial", "tanh", "sigmoid", "softplus"};
  std::set<std::string> names;
  for (const auto& info : ntk::sdk::activation_catalog()) {
    names.insert(info.name);
    CHECK_FALSE(info.doc.empty());
    const auto act = info.make({});
    REQUIRE(act != nullptr);
    CHECK_FALSE(act->name().empty());
    CHECK(std::isfinite(act->variance(1.0)));
    // Closed-form docs say so; quadrature docs too.
    const bool quadrature = act->name().find("(quadrature)") != std::string::npos;
    CHECK((info.doc.find(quadrature ? "quadrature" : "closed form") != std::string::npos));
  }
  CHECK(names == std::set<std::string>(expected.begin(), expected.end()));
  CHECK(ntk::sdk::activation_catalog().size() == expected.size());
  CHECK(ntk::sdk::make_activation("leaky_relu")->name() == "LeakyRelu(alpha=0.01)");
  CHECK(ntk::sdk::make_activation("gaussian")->name() == "Gaussian(a=1, b=-1)");
  CHECK(ntk::sdk::make_activation("tanh")->name() == "Tanh (quadrature)");
  CHECK_FALSE(ntk::sdk::make_activation("sign")->has_ntk());
  CHECK_FALSE(ntk::sdk::make_activation("rectified_monomial", {{"degree", 0.0}})->has_ntk());
  CHECK(ntk::sdk::make_activation("rectified_monomial", {{"degree", 2.0}})->has_ntk());
}

TEST_CASE("unknown names, keys and bad values are refused", "[activations]") {
  try {
    ntk::sdk::make_activation("swish");
    FAIL("no error");
  } catch (const ntk::Error& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Contains("swish"));
    for (const auto& info : ntk::sdk::activation_catalog()) CHECK_THAT(message, Contains(info.name));
  }
  CHECK_THROWS_WITH(ntk::sdk::make_activation("leaky_relu", {{"slope", 0.1}}),
                    Contains("slope") && Contains("alpha"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("sin", {{"d", 0.1}}),
                    Contains("a, b, c"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("relu", {{"alpha", 0.1}}), Contains("alpha"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("leaky_relu", {{"alpha", std::string("big")}}),
                    Contains("alpha"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("monomial", {{"degree", 2.5}}), Contains("degree"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("monomial", {{"degree", 11.0}}), Contains("degree"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("tanh", {{"deg", 0.0}}), Contains("deg"));
  CHECK_THROWS_WITH(ntk::sdk::make_activation("exp", {{"b", NAN}}), Contains("'b'"));
}

TEST_CASE("closed forms that overflow or diverge are refused, not NaN", "[activations]") {
  const auto exp = ntk::sdk::make_activation("exp");
  CHECK_THROWS_WITH(exp->expectations(500.0, 400.0, 500.0), Contains("Exp(a=1, b=1)"));
  CHECK_THROWS_WITH(exp->variance(400.0), Contains("Exp"));
  double nngp = 400.0, ntk = 1.0, var = 500.0;
  CHECK_THROWS_AS(exp->entries(&nngp, &ntk, &var, &var, 1), ntk::Error);
  const auto growing = ntk::sdk::make_activation("gaussian", {{"b", 0.5}});
  CHECK_THROWS_WITH(growing->expectations(1.0, 0.5, 1.0), Contains("Gaussian(a=1, b=0.5)"));
  CHECK_THROWS_WITH(growing->variance(0.6), Contains("diverges"));
  CHECK(std::isfinite(growing->variance(0.4)));
  const auto cube = ntk::sdk::make_activation("monomial", {{"degree", 10.0}});
  CHECK_THROWS_WITH(cube->variance(1e40), Contains("Monomial(degree=10)"));
}
