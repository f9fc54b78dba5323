// The conv layer with rectangular filters (1-D convolutions: qh = 1 on images {C, 1, W}) and
// VALID padding, as a composition: finite networks against finite differences and J Jᵀ, the
// analytic kernels against Monte-Carlo averages of finite networks, output shapes, layer specs
// (filter = q or {qh, qw}, padding = "valid", stride) and the errors that name the layer.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "../stax/derivative_checks.hpp"
#include "ntk/sdk/stax.hpp"

namespace st = ntk::sdk::stax;
using ntk::sdk::Inputs;
using ntk::sdk::LayerPtr;
using ntk::sdk::Padding;
using ntk::sdk::test::check_derivatives;
using ntk::sdk::test::rel;

namespace {

LayerPtr conv(arma::uword qh, arma::uword qw, Padding padding, double w = 1.3, double b = 0.2) {
  st::ConvOptions o;
  o.w_std = w;
  o.b_std = b;
  o.filter_height = qh;
  o.filter_width = qw;
  o.padding = padding;
  return st::conv(o);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("rectangular and VALID conv networks: derivatives and structured NTK", "[stax_conv]") {
  struct Case {
    ntk::sdk::ImageShape shape;
    std::vector<LayerPtr> layers;
  };
  const std::vector<Case> cases = {
      // rectangular SAME filters, a residual block, global average
      {{2, 4, 5},
       {conv(3, 1, Padding::same), st::activation("relu"),
        st::residual(0.7, {conv(1, 3, Padding::same), st::activation("erf")}),
        st::global_avg_pool(), st::dense(0.9, 0.1)}},
      // VALID, then SAME, then pooled
      {{2, 5, 6},
       {conv(3, 3, Padding::valid), st::activation("relu"), conv(1, 3, Padding::same),
        st::activation("erf"), st::avg_pool(2, 1), st::flatten(), st::dense(0.9, 0.1)}},
      // 1-D convolutions on {C, 1, W}: two VALID ones (9 -> 7 -> 3 pixels), flatten readout
      {{2, 1, 9},
       {conv(1, 3, Padding::valid), st::activation("relu"), conv(1, 5, Padding::valid),
        st::activation("relu"), st::flatten(), st::dense(0.9, 0.1)}},
      // rectangular circular
      {{1, 4, 5}, {conv(3, 5, Padding::circular), st::activation("relu"), st::flatten(), st::dense()}},
  };
  arma::arma_rng::set_seed(2);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const arma::uword d = c.shape.size();
    const Inputs x = Inputs::images(arma::randn(d, 3), c.shape);
    const Inputs y = Inputs::images(arma::randn(d, 2), c.shape);
    st::CompositionOptions o;
    o.outputs = 2;
    auto net = st::composition(c.layers, o)->network({3, 5});
    INFO("case " << i);
    check_derivatives(*net, x, y);
  }
}

TEST_CASE("VALID conv output shapes: (H - qh + 1) x (W - qw + 1)", "[stax_conv]") {
  const Inputs x = Inputs::images(arma::randn(2 * 6 * 7, 2), {2, 6, 7});
  // flatten then dense: the readout's fan-in is the output image's size; 4 channels.
  st::ConvOptions o;
  o.filter_height = 3;
  o.filter_width = 5;
  o.padding = Padding::valid;
  o.width = 4;
  auto net = st::composition({st::conv(o), st::activation("relu"), st::flatten(), st::dense()}, {})
                 ->network({8, 1});
  CHECK(net->forward(x).n_rows == 1);
  // 4 × (2·3·5) + 4 conv parameters, then the readout 1 × 4·4·3 + 1.
  CHECK(net->num_params() == 4 * 2 * 15 + 4 + 4 * 4 * 3 + 1);
}

TEST_CASE("analytic kernels of rectangular VALID convs match Monte-Carlo of finite networks",
          "[stax_conv][mc]") {
  arma::arma_rng::set_seed(4);
  const Inputs x = Inputs::images(arma::randn(2 * 5 * 6, 4), {2, 5, 6});
  const std::vector<LayerPtr> layers = {conv(3, 1, Padding::valid), st::activation("relu"),
                                        conv(1, 3, Padding::valid, 1.1, 0.1),
                                        st::activation("relu"), st::flatten(), st::dense(0.9, 0.1)};
  const auto arch = st::composition(layers, {});
  const auto k = arch->kernels(x, x, {true, true});
  arma::mat ntk_mean(4, 4, arma::fill::zeros), nngp_mean(4, 4, arma::fill::zeros);
  const int ntk_seeds = 32, nngp_seeds = 4000;
  for (int s = 0; s < ntk_seeds; ++s) ntk_mean += arch->network({256, std::uint64_t(100 + s)})->ntk(x, x);
  ntk_mean /= ntk_seeds;
  for (int s = 0; s < nngp_seeds; ++s) {
    const arma::mat f = arch->network({32, std::uint64_t(10000 + s)})->forward(x);
    nngp_mean += f.t() * f;
  }
  nngp_mean /= nngp_seeds;
  WARN("Monte-Carlo vs analytic (3x1 VALID, 1x3 VALID): NTK relative error "
       << rel(ntk_mean, k.ntk) << ", NNGP " << rel(nngp_mean, k.nngp));
  CHECK(rel(ntk_mean, k.ntk) < 0.05);
  CHECK(rel(nngp_mean, k.nngp) < 0.08);
}

TEST_CASE("conv specs: filter q or {qh, qw}, padding valid, stride 1 only", "[stax_conv]") {
  using ntk::sdk::LayerSpec;
  using ntk::sdk::Options;
  const auto one = st::layers_from_specs(
      {LayerSpec{"conv", Options{{"filter", std::vector<double>{1, 3}}, {"padding", std::string("valid")},
                                 {"w_std", 1.5}}}});
  CHECK(one.at(0)->name() == "Conv(W_std=1.5, b_std=0, 1x3, VALID)");
  const auto square = st::layers_from_specs({LayerSpec{"conv", Options{{"filter", 5.0}}}});
  CHECK(square.at(0)->name() == "Conv(W_std=1, b_std=0, 5x5, SAME)");
  const auto unit = st::layers_from_specs(
      {LayerSpec{"conv", Options{{"stride", std::vector<double>{1, 1}}}}});
  CHECK(unit.size() == 1);
  // The same kernel from the spec as from ConvOptions.
  const Inputs x = Inputs::images(arma::randn(9 * 2, 3), {2, 1, 9});
  auto from_spec = one;
  from_spec.push_back(st::activation("relu"));
  from_spec.push_back(st::flatten());
  from_spec.push_back(st::dense());
  const auto k1 = st::composition(from_spec, {})->kernels(x, x, {true, true});
  const auto k2 = st::composition({conv(1, 3, Padding::valid, 1.5, 0), st::activation("relu"),
                                   st::flatten(), st::dense()},
                                  {})
                      ->kernels(x, x, {true, true});
  CHECK(arma::abs(k1.ntk - k2.ntk).max() == 0.0);

  auto spec_error = [](Options o) {
    return message_of([&] { st::layers_from_specs({LayerSpec{"conv", o}}); });
  };
  CHECK_THAT(spec_error({{"stride", 2.0}}),
             Catch::Contains("layer 1 (\"conv\")") && Catch::Contains("only stride 1"));
  CHECK_THAT(spec_error({{"filter", std::vector<double>{3, 2}}}),
             Catch::Contains("layer 1 (\"conv\")") && Catch::Contains("must be odd in both axes"));
  CHECK_THAT(spec_error({{"filter", 4.0}}), Catch::Contains("filter = 4 must be odd"));
  CHECK_THAT(spec_error({{"filter", std::vector<double>{3}}}),
             Catch::Contains("a number or a list of two numbers"));
  CHECK_THAT(spec_error({{"filter", std::vector<double>{3, 1.5}}}),
             Catch::Contains("whole numbers"));
  CHECK_THAT(spec_error({{"padding", std::string("full")}}),
             Catch::Contains("\"same\", \"circular\", \"valid\""));
}

TEST_CASE("a VALID filter larger than the image it reads is refused naming the layer",
          "[stax_conv]") {
  const Inputs x = Inputs::images(arma::randn(12, 2), {1, 3, 4});
  auto kernels_of = [&](std::vector<LayerPtr> layers) {
    return message_of([&] { st::composition(layers, {})->kernels(x, x, {true, true}); });
  };
  CHECK_THAT(kernels_of({conv(5, 1, Padding::valid), st::flatten(), st::dense()}),
             Catch::Contains("layer 1 (Conv(W_std=1.3, b_std=0.2, 5x1, VALID))") &&
                 Catch::Contains("5x1 valid filter is larger than the 3x4 image"));
  // The second conv reads the 1x2 image the first leaves.
  CHECK_THAT(kernels_of({conv(3, 3, Padding::valid), st::activation("relu"),
                         conv(1, 3, Padding::valid), st::flatten(), st::dense()}),
             Catch::Contains("layer 3 (") && Catch::Contains("larger than the 1x2 image"));
  CHECK_THAT(kernels_of({conv(1, 3, Padding::circular), conv(1, 3, Padding::valid), st::flatten(),
                         st::dense()}),
             Catch::Contains("mix VALID and CIRCULAR"));
  CHECK_THAT(kernels_of({conv(1, 3, Padding::same),
                         st::residual(1.0, {conv(1, 3, Padding::valid)}), st::flatten(),
                         st::dense()}),
             Catch::Contains("layer 2") && Catch::Contains("keep the shape of its input"));
  CHECK_THAT(message_of([] { conv(2, 3, Padding::same); }), Catch::Contains("conv: filter = {2, 3}"));
}
