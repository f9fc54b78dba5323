// The resnet options: defaults, conv-only options refused with kind = "mlp", invalid values
// refused with messages that name the option and what is accepted; bad inputs refused.
#include <catch2/catch.hpp>

#include "ntk/sdk/error.hpp"
#include "resnet_architecture.hpp"

using ntk::sdk::Inputs;
using ntk::sdk::Options;

namespace {

std::string error_of(const Options& o) {
  try {
    ntk::resnet::make_architecture(o);
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("resnet options: defaults and describe()", "[resnet_options]") {
  const auto c = ntk::resnet::read_config({});
  CHECK(c.kind == ntk::resnet::Kind::mlp);
  CHECK(c.blocks == 2);
  CHECK(c.branch_depth == 2);
  CHECK(c.alpha == 1.0);
  const auto arch = ntk::resnet::make_architecture({{"blocks", 1.0}, {"alpha", 0.5}});
  CHECK_THAT(arch->describe(), Catch::Contains("FanOut(2), Relu, Dense(W_std=1, b_std=0), Relu, "
                                               "Dense(W_std=1, b_std=0), FanInSum(alpha=0.5)"));
  const auto conv = ntk::resnet::make_architecture(
      {{"kind", std::string("conv")}, {"filter", 5.0}, {"readout", std::string("gap")}});
  CHECK_THAT(conv->describe(), Catch::Contains("Conv(W_std=1, b_std=0, 5x5, SAME)"));
  CHECK_THAT(conv->describe(), Catch::Contains("GlobalAvgPool"));
  const auto info = ntk::resnet::plugin_info();
  CHECK(info.name == "resnet");
  // 14, then fixed_layers, parametrization, standard_width, precision (SDK 3), input_dim
  CHECK(info.options.size() == 19);
  // input_dim: the parameters are drawn with the network, d = 3 fixing the stem's fan-in
  const auto sized = ntk::resnet::make_architecture({{"blocks", 0.0}, {"input_dim", 3.0}});
  // stem 3 → 5 (15 + 5), readout 5 → 1 (5 + 1)
  CHECK(sized->network({.width = 5, .seed = 1})->num_params() == 26);
  CHECK_THAT(error_of({{"kind", std::string("conv")}, {"input_dim", 3.0}}),
             Catch::Contains("'input_dim' applies to kind = \"mlp\" only"));
}

TEST_CASE("resnet options: invalid combinations are clear errors", "[resnet_options]") {
  for (const char* key : {"readout", "filter", "input_shape", "padding"}) {
    Options o;
    if (std::string(key) == "filter") o.set(key, 3.0);
    else if (std::string(key) == "input_shape") o.set(key, std::vector<double>{1, 4, 4});
    else if (std::string(key) == "readout") o.set(key, std::string("gap"));
    else o.set(key, std::string("same"));
    INFO(key);
    CHECK_THAT(error_of(o), Catch::Contains(std::string("'") + key + "' applies to kind = \"conv\" only"));
  }
  const Options conv{{"kind", std::string("conv")}};
  Options even = conv;
  even.set("filter", 4.0);
  CHECK_THAT(error_of(even), Catch::Contains("filter = 4 is even"));
  CHECK_THAT(error_of({{"blocks", -1.0}}), Catch::Contains("blocks = -1 is negative"));
  CHECK_THAT(error_of({{"blocks", 1.5}}), Catch::Contains("'blocks' = 1.5 must be a whole number"));
  CHECK_THAT(error_of({{"branch_depth", 0.0}}), Catch::Contains("'branch_depth' = 0"));
  CHECK_THAT(error_of({{"kind", std::string("transformer")}}),
             Catch::Contains("'kind' = \"transformer\" is not one of \"mlp\", \"conv\""));
  CHECK_THAT(error_of({{"alpha", std::nan("")}}), Catch::Contains("'alpha'"));
  CHECK_THAT(error_of({{"w_std", 0.0}}), Catch::Contains("'w_std' = 0 must be a finite positive"));
  CHECK_THAT(error_of({{"b_std", -0.1}}), Catch::Contains("must be >= 0"));
  CHECK_THAT(error_of({{"depth", 2.0}}), Catch::Contains("unknown option 'depth'"));
  Options readout = conv;
  readout.set("readout", std::string("pool"));
  CHECK_THAT(error_of(readout), Catch::Contains("'readout' = \"pool\" is not one of \"flatten\", \"gap\""));
  Options shape = conv;
  shape.set("input_shape", std::vector<double>{1, 4});
  CHECK_THAT(error_of(shape), Catch::Contains("input_shape has 2 entries"));
  Options circular = conv;
  circular.set("padding", std::string("circular"));
  circular.set("filter", 5.0);
  circular.set("input_shape", std::vector<double>{1, 3, 3});
  CHECK_THAT(error_of(circular), Catch::Contains("filter must fit in the image"));
}

TEST_CASE("resnet refuses bad inputs", "[resnet_options]") {
  const auto mlp = ntk::resnet::make_architecture({});
  const Inputs a = Inputs::dense(arma::randn(4, 3)), b = Inputs::dense(arma::randn(5, 3));
  CHECK_THROWS_WITH(mlp->kernels(a, b, {}), Catch::Contains("inputs have 4 and 5 rows"));
  arma::mat bad = arma::randn(4, 3);
  bad(1, 1) = std::nan("");
  CHECK_THROWS_AS(mlp->kernels(Inputs::dense(bad), a, {}), ntk::Error);
  const auto net = mlp->network({8, 1});
  net->forward(a);
  CHECK_THROWS_WITH(net->forward(b), Catch::Contains("expects 4 rows"));
  CHECK_THROWS_WITH(net->set_params(arma::vec(3)), Catch::Contains("got 3 values"));
  CHECK_THROWS_WITH(mlp->network({0, 1}), Catch::Contains("width = 0"));
  CHECK_THROWS_WITH(net->vjp(a, arma::mat(2, 3)), Catch::Contains("cotangent is 2 x 3"));
  const auto conv = ntk::resnet::make_architecture({{"kind", std::string("conv")}});
  CHECK_THROWS_WITH(conv->kernels(a, a, {}), Catch::Contains("input_shape = {C, H, W}"));
  const auto shaped = ntk::resnet::make_architecture(
      {{"kind", std::string("conv")}, {"input_shape", std::vector<double>{1, 2, 2}}});
  CHECK_THROWS_WITH(shaped->kernels(b, b, {}), Catch::Contains("needs C*H*W = 4"));
  CHECK(shaped->kernels(a, a, {}).ntk.n_rows == 3);
}
