// Finite networks of compositions: vjp and jvp each against central finite differences, the
// structured NTK against J Jᵀ, frozen layers, and the analytic kernels against Monte-Carlo
// averages of finite networks (at non-default w_std and b_std).
#include <catch2/catch.hpp>

#include "derivative_checks.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::test::rel;

namespace {

// The shared checks, and ntk_full against J Jᵀ for every output pair.
void check_derivatives(ntk::sdk::Network& net, const Inputs& x, const Inputs& y) {
  ntk::sdk::test::check_derivatives(net, x, y);
  const arma::mat jx = net.jacobian(x), jy = net.jacobian(y);
  INFO("ntk_full vs J J^T (every output pair)");
  CHECK(rel(net.ntk_full(x, x), jx * jx.t()) < 1e-12);
  CHECK(rel(net.ntk_full(x, y), jx * jy.t()) < 1e-12);
}

std::vector<ntk::sdk::LayerPtr> vector_stack() {
  return {st::dense(1.5, 0.1),    st::activation("gelu"),
          st::dense(1.5, 0.1),    st::layer_norm(),
          st::residual(0.5, {st::activation("relu"), st::dense(1.4)}),
          st::activation("relu"), st::dense(1.0, 0.2)};
}

}  // namespace

TEST_CASE("a vector composition's derivatives and structured NTK", "[stax][finite]") {
  arma::arma_rng::set_seed(1);
  const Inputs x = Inputs::dense(arma::randn(5, 4)), y = Inputs::dense(arma::randn(5, 3));
  st::CompositionOptions o;
  o.outputs = 2;
  auto net = st::composition(vector_stack(), o)->network({12, 3});
  check_derivatives(*net, x, y);
}

TEST_CASE("an image composition's derivatives and structured NTK", "[stax][finite]") {
  arma::arma_rng::set_seed(2);
  const ntk::sdk::ImageShape shape{2, 4, 5};
  const Inputs x = Inputs::images(arma::randn(40, 3), shape);
  const Inputs y = Inputs::images(arma::randn(40, 2), shape);
  st::ConvOptions conv;
  conv.w_std = 1.3;
  conv.b_std = 0.2;
  for (int readout = 0; readout < 3; ++readout) {
    std::vector<ntk::sdk::LayerPtr> layers = {
        st::conv(conv), st::activation("relu"),
        st::residual(0.7, {st::conv(conv), st::activation("erf")})};
    if (readout == 0) layers.push_back(st::flatten());
    if (readout == 1) layers.push_back(st::global_avg_pool());
    if (readout == 2) {
      layers.push_back(st::avg_pool(2, 1));
      layers.push_back(st::flatten());
    }
    layers.push_back(st::dense(0.9, 0.1));
    st::CompositionOptions o;
    o.outputs = 2;
    auto net = st::composition(layers, o)->network({3, 5});
    INFO("readout " << readout);
    check_derivatives(*net, x, y);
  }
}

TEST_CASE("frozen layers get no gradient and no NTK term", "[stax][finite]") {
  arma::arma_rng::set_seed(3);
  const Inputs x = Inputs::dense(arma::randn(3, 4));
  st::DenseOptions frozen;
  frozen.w_std = 1.2;
  frozen.b_std = 0.3;
  frozen.trainable = false;
  auto net = st::composition({st::dense(frozen), st::activation("relu"), st::dense(1.1, 0.2)}, {})
                 ->network({8, 1});
  const arma::vec g = net->vjp(x, arma::ones(1, 4));
  const arma::uword first = 8 * 3 + 8;
  CHECK(arma::norm(g.head(first), "inf") == 0.0);
  CHECK(arma::norm(g.tail(g.n_elem - first), "inf") > 0.0);
  const arma::vec mask = net->trainable_mask();  // what the conformance kit perturbs
  REQUIRE(mask.n_elem == g.n_elem);
  CHECK(arma::accu(mask.head(first)) == 0.0);
  CHECK(arma::all(mask.tail(g.n_elem - first) == 1.0));
  arma::mat j = net->jacobian(x);
  CHECK(rel(net->ntk(x, x), j * j.t()) < 1e-12);
}

TEST_CASE("analytic kernels of compositions match Monte-Carlo of finite networks", "[stax][mc]") {
  arma::arma_rng::set_seed(4);
  const Inputs x = Inputs::dense(arma::randn(6, 5));
  const auto arch = st::composition(vector_stack(), {});
  const auto k = arch->kernels(x, x, {true, true});
  // Mean empirical NTK over seeds at width 512; E[f fᵀ] over many narrower networks.
  arma::mat ntk_mean(5, 5, arma::fill::zeros), nngp_mean(5, 5, arma::fill::zeros);
  const int ntk_seeds = 24, nngp_seeds = 3000;
  for (int s = 0; s < ntk_seeds; ++s) ntk_mean += arch->network({512, std::uint64_t(100 + s)})->ntk(x, x);
  ntk_mean /= ntk_seeds;
  for (int s = 0; s < nngp_seeds; ++s) {
    const arma::mat f = arch->network({128, std::uint64_t(10000 + s)})->forward(x);
    nngp_mean += f.t() * f;
  }
  nngp_mean /= nngp_seeds;
  INFO("NTK relative error " << rel(ntk_mean, k.ntk) << ", NNGP " << rel(nngp_mean, k.nngp));
  CHECK(rel(ntk_mean, k.ntk) < 0.05);
  CHECK(rel(nngp_mean, k.nngp) < 0.08);
}

TEST_CASE("an activation named Relu that is not relu keeps its own rule", "[stax]") {
  // Only the SDK's own closed forms take the engines' inline paths (Activation::builtin()).
  const auto impostor = ntk::sdk::numerical_activation(
      "Relu", [](double z) { return std::tanh(z); },
      [](double z) { return 1 - std::tanh(z) * std::tanh(z); });
  arma::arma_rng::set_seed(5);
  const Inputs x = Inputs::dense(arma::randn(4, 3));
  const auto k_impostor =
      st::composition({st::dense(1.2), st::activation(impostor), st::dense(1.0)}, {})
          ->kernels(x, x, {true, true});
  const auto k_tanh = st::composition({st::dense(1.2), st::activation("tanh"), st::dense(1.0)}, {})
                          ->kernels(x, x, {true, true});
  CHECK(rel(k_impostor.ntk, k_tanh.ntk) < 1e-12);
  auto net = st::composition({st::dense(1.2), st::activation(impostor), st::dense(1.0)}, {})
                 ->network({8, 1});
  arma::mat h = net->forward(x);  // tanh, not relu: negative pre-activations stay negative
  CHECK(h.is_finite());
}

TEST_CASE("the empirical NTK is refused before any work when its activations would not fit",
          "[stax][finite]") {
  // Width 2048, n = 100: the 100 x 100 NTK is 240 kB, but the walk keeps 100 x (3 + 2048 +
  // 2048 + 1) activations and 2 x 2048 backward signals per example: ~6.6 MB, over a 1 MB cap.
  auto net = st::composition({st::dense(1.3, 0.1), st::activation("relu"), st::dense(1.3, 0.1),
                              st::activation("relu"), st::dense(1.3, 0.1)},
                             {})
                 ->network({2048, 1});
  const Inputs x = Inputs::dense(arma::randn(3, 100));
  CHECK(net->forward(x).n_cols == 100);  // draws the parameters (33 MB) under the real limit
  setenv("NTKLAB_MAX_BYTES", "1e6", 1);
  CHECK_THROWS_WITH(net->ntk(x, x), Catch::Contains("activations of the 100 examples") &&
                                        Catch::Contains("NTKLAB_MAX_BYTES"));
  unsetenv("NTKLAB_MAX_BYTES");
  // Under the real limit the same call works (and is what the cap estimated).
  CHECK(net->ntk(x, x).n_rows == 100);
}

TEST_CASE("a Jacobian that cannot fit is refused before a lazy network draws its parameters",
          "[stax][finite]") {
  // Width 1024 without an input size: P = 3·1024 + 1024² + 2·1024 + 1025 ≈ 1.05M parameters
  // (8.4 MB) are drawn at the first call. The 50 x P Jacobian (2 x 420 MB) is over a 100 MB
  // cap: refused naming P, and no parameters were drawn (the network is still unmaterialised).
  auto net = st::composition({st::dense(1.3, 0.1), st::activation("relu"), st::dense(1.3, 0.1),
                              st::activation("relu"), st::dense(1.3, 0.1)},
                             {})
                 ->network({1024, 1});
  const Inputs x = Inputs::dense(arma::randn(3, 50));
  setenv("NTKLAB_MAX_BYTES", "1e8", 1);
  CHECK_THROWS_WITH(net->jacobian(x), Catch::Contains("jacobian(): the (n*k) x P Jacobian (P = "));
  unsetenv("NTKLAB_MAX_BYTES");
  CHECK_THROWS(net->params());  // nothing drawn yet
  CHECK(net->jacobian(x).n_rows == 50);
}
