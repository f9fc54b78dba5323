// Compositions of SDK layers against the plugins they replace (kernels and finite networks
// to round-off) and against the shapes they must refuse.
#include <catch2/catch.hpp>

#include "cnn_architecture.hpp"
#include "fc_architecture.hpp"
#include "fc_network.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;

namespace {

Inputs gaussian(arma::uword d, arma::uword n, int seed) {
  arma::arma_rng::set_seed(seed);
  return Inputs::dense(arma::randn(d, n));
}

double rel(const arma::mat& a, const arma::mat& b) { return arma::norm(a - b, "fro") / arma::norm(b, "fro"); }

std::vector<ntk::sdk::LayerPtr> mlp(int depth, double w, double b, const std::string& act,
                                    bool frozen_first = false) {
  std::vector<ntk::sdk::LayerPtr> layers;
  for (int l = 0; l < depth; ++l) {
    st::DenseOptions o;
    o.w_std = w;
    o.b_std = b;
    o.trainable = !(frozen_first && l == 0);
    layers.push_back(st::dense(o));
    layers.push_back(st::activation(act));
  }
  layers.push_back(st::dense(w, b));
  return layers;
}

}  // namespace

TEST_CASE("an MLP composition equals the fc plugin's kernels", "[stax]") {
  const Inputs a = gaussian(7, 13, 1), b = gaussian(7, 9, 2);
  for (const std::string act : {"relu", "erf"})
    for (int depth : {1, 3}) {
      ntk::sdk::Options fo{{"depth", double(depth)}, {"w_std", 1.4}, {"b_std", 0.3},
                           {"activation", act}, {"outputs", 3.0}};
      const auto fc = ntk::fc::make_architecture(fo);
      st::CompositionOptions co;
      co.outputs = 3;
      const auto comp = st::composition(mlp(depth, 1.4, 0.3, act), co);
      for (bool symmetric : {true, false}) {
        const Inputs& y = symmetric ? a : b;
        const auto k1 = fc->kernels(a, y, {true, true});
        const auto k2 = comp->kernels(a, y, {true, true});
        CHECK(arma::abs(k1.nngp - k2.nngp).max() <= 1e-13 * arma::abs(k1.nngp).max());
        CHECK(arma::abs(k1.ntk - k2.ntk).max() <= 1e-13 * arma::abs(k1.ntk).max());
        const auto only_ntk = comp->kernels(a, y, {false, true});
        CHECK(arma::abs(only_ntk.ntk - k1.ntk).max() <= 1e-13 * arma::abs(k1.ntk).max());
      }
    }
}

TEST_CASE("standard parametrisation and frozen layers equal fc's", "[stax]") {
  const Inputs a = gaussian(5, 11, 3);
  {
    ntk::sdk::Options fo{{"depth", 2.0}, {"w_std", 1.2}, {"b_std", 0.5},
                         {"parametrization", std::string("standard")}, {"standard_width", 64.0}};
    st::CompositionOptions co;
    co.parametrization = ntk::sdk::Parametrization::standard;
    co.standard_width = 64;
    const auto k1 = ntk::fc::make_architecture(fo)->kernels(a, a, {true, true});
    const auto k2 = st::composition(mlp(2, 1.2, 0.5, "relu"), co)->kernels(a, a, {true, true});
    CHECK(rel(k2.ntk, k1.ntk) < 1e-13);
    CHECK(rel(k2.nngp, k1.nngp) < 1e-13);
  }
  {
    ntk::sdk::Options fo{{"depth", 2.0}, {"w_std", 1.2}, {"b_std", 0.5}, {"fixed_layers", 1.0}};
    const auto k1 = ntk::fc::make_architecture(fo)->kernels(a, a, {false, true});
    const auto k2 = st::composition(mlp(2, 1.2, 0.5, "relu", true), {})->kernels(a, a, {false, true});
    CHECK(rel(k2.ntk, k1.ntk) < 1e-13);
  }
}

TEST_CASE("an MLP composition's finite network equals fc's", "[stax]") {
  const Inputs a = gaussian(6, 5, 4), b = gaussian(6, 4, 5);
  ntk::sdk::Options fo{{"depth", 2.0}, {"w_std", 1.3}, {"b_std", 0.2}, {"outputs", 2.0}};
  const auto fc_net = ntk::fc::make_architecture(fo)->network({24, 9});
  st::CompositionOptions co;
  co.outputs = 2;
  const auto net = st::composition(mlp(2, 1.3, 0.2, "relu"), co)->network({24, 9});
  CHECK(rel(net->forward(a), fc_net->forward(a)) < 1e-14);
  REQUIRE(net->num_params() == fc_net->num_params());
  CHECK(arma::norm(net->params() - fc_net->params(), "inf") == 0.0);  // same draws, same order
  const arma::mat r = arma::randn(2, 5);
  CHECK(rel(net->vjp(a, r), fc_net->vjp(a, r)) < 1e-13);
  const arma::vec v = arma::randn(net->num_params());
  CHECK(rel(net->jvp(a, v), fc_net->jvp(a, v)) < 1e-13);
  CHECK(rel(net->ntk(a, a), fc_net->ntk(a, a)) < 1e-13);
  CHECK(rel(net->ntk(a, b), fc_net->ntk(a, b)) < 1e-13);
}

TEST_CASE("a conv composition equals the cnn plugin's kernels", "[stax]") {
  arma::arma_rng::set_seed(6);
  const ntk::sdk::ImageShape shape{2, 5, 6};
  const Inputs a = Inputs::images(arma::randn(60, 7), shape);
  const Inputs b = Inputs::images(arma::randn(60, 5), shape);
  struct Case {
    std::string readout;
    ntk::sdk::LayerPtr layer;
  };
  for (const Case& c : {Case{"flatten", st::flatten()}, Case{"gap", st::global_avg_pool()},
                        Case{"pool", st::avg_pool(2, 2)}}) {
    ntk::sdk::Options o{{"depth", 2.0}, {"w_std", 1.3}, {"b_std", 0.2}, {"readout", c.readout},
                        {"readout_w_std", 0.9}, {"readout_b_std", 0.1}};
    const auto cnn = ntk::cnn::make_architecture(o);
    st::ConvOptions conv;
    conv.w_std = 1.3;
    conv.b_std = 0.2;
    const auto comp = st::composition({st::conv(conv), st::activation("relu"), st::conv(conv),
                                       st::activation("relu"), c.layer, st::dense(0.9, 0.1)},
                                      {});
    for (bool symmetric : {true, false}) {
      const Inputs& y = symmetric ? a : b;
      const auto k1 = cnn->kernels(a, y, {true, true});
      const auto k2 = comp->kernels(a, y, {true, true});
      INFO(c.readout << " symmetric " << symmetric);
      CHECK(rel(k2.nngp, k1.nngp) < 1e-13);
      CHECK(rel(k2.ntk, k1.ntk) < 1e-13);
    }
  }
}

TEST_CASE("compositions refuse what does not compose, naming the layer", "[stax][errors]") {
  const Inputs x = gaussian(4, 3, 7);
  const auto image = Inputs::images(arma::randn(2 * 3 * 3, 2), {2, 3, 3});
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const ntk::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto conv_after_flatten =
      st::composition({st::conv({}), st::flatten(), st::conv({}), st::dense(1, 0)}, {});
  const std::string m1 = message([&] { conv_after_flatten->kernels(image, image, {}); });
  CHECK_THAT(m1, Catch::Contains("layer 3") && Catch::Contains("Conv") &&
                     Catch::Contains("got vector"));
  const auto residual_mismatch =
      st::composition({st::residual(0.5, {st::dense(1, 0)}), st::dense(1, 0)}, {});
  const std::string m2 = message([&] { residual_mismatch->kernels(x, x, {}); });
  CHECK_THAT(m2, Catch::Contains("layer 1") && Catch::Contains("vector(4)") &&
                     Catch::Contains("vector(width)"));
  const auto relu_after_flatten = st::composition(
      {st::conv({}), st::activation("relu"), st::flatten(), st::activation("relu"), st::dense(1, 0)}, {});
  const std::string m3 = message([&] { relu_after_flatten->kernels(image, image, {}); });
  CHECK_THAT(m3, Catch::Contains("layer 4") && Catch::Contains("flatten"));
  const std::string m4 = message([] {
    st::layers_from_specs({{"dense", {}}, {"reluu", {}}});
  });
  CHECK_THAT(m4, Catch::Contains("layer 2") && Catch::Contains("reluu") && Catch::Contains("gelu"));
  const std::string m5 = message([] {
    st::layers_from_specs({{"residual", {{"branch", std::vector<ntk::sdk::LayerSpec>{
                                                        {"dense", {{"w_sdt", 1.0}}}}}}}});
  });
  CHECK_THAT(m5, Catch::Contains("layer 1, branch layer 1") && Catch::Contains("w_sdt") &&
                     Catch::Contains("w_std"));
}
