// Compositions of SDK layers against an independent pair-by-pair recursion of the textbook
// formulas, and the shapes they must refuse. (The plugins are compositions now; their equality
// with the previous implementations is in tests/plugins/*/ *_previous_test.cpp, conv kernels
// against an independent reference in tests/sdk/layers_conv.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

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

// The textbook recursion, one pair at a time, written from the formulas (neural-tangents
// stax; Cho & Saul 2009 for relu, Williams 1997 for erf), sharing no code with the engine.
struct PairKernel {
  double s11, s12, s22, t12;
};

PairKernel reference_mlp(const arma::vec& x, const arma::vec& y, int depth, double w, double b,
                         const std::string& act, bool standard, double width, bool frozen_first,
                         bool same) {
  const double d = double(x.n_elem);
  PairKernel k{arma::dot(x, x) / d, arma::dot(x, y) / d, arma::dot(y, y) / d, 0.0};
  double fan_in = d;
  for (int l = 0; l <= depth; ++l) {
    const bool trained = !(frozen_first && l == 0);
    const double s12_old = k.s12;
    k.s11 = w * w * k.s11 + b * b;
    k.s22 = w * w * k.s22 + b * b;
    k.s12 = w * w * k.s12 + b * b;
    if (!trained) k.t12 = w * w * k.t12;
    else if (standard) k.t12 = w * w * k.t12 + fan_in * s12_old + 1.0;
    else k.t12 = w * w * k.t12 + k.s12;
    fan_in = width;
    if (l == depth) break;
    const double norm = std::sqrt(k.s11 * k.s22);
    if (act == "relu") {
      // An example with itself is at ρ = 1 exactly (the engine uses its variance there; the
      // relu derivative kernel is infinitely steep at ρ = 1, so a rounded ρ would move Θ by √ulp).
      const double rho = same ? 1.0 : std::clamp(k.s12 / norm, -1.0, 1.0), theta = std::acos(rho);
      const double s12 = norm * (std::sin(theta) + (M_PI - theta) * std::cos(theta)) / (2 * M_PI);
      k.t12 *= (M_PI - theta) / (2 * M_PI);
      k.s12 = s12;
      k.s11 /= 2;
      k.s22 /= 2;
    } else {
      const double a = 1 + 2 * k.s11, c = 1 + 2 * k.s22;
      const double s12 = 2 / M_PI * std::asin(2 * k.s12 / std::sqrt(a * c));
      k.t12 *= 4 / M_PI / std::sqrt(a * c - 4 * k.s12 * k.s12);
      k.s12 = s12;
      k.s11 = 2 / M_PI * std::asin(2 * k.s11 / a);
      k.s22 = 2 / M_PI * std::asin(2 * k.s22 / c);
    }
  }
  return k;
}

void check_against_reference(const ntk::sdk::Architecture& arch, const Inputs& a, const Inputs& b,
                             int depth, double w, double bias, const std::string& act,
                             bool standard, double width, bool frozen_first) {
  const auto k = arch.kernels(a, b, {true, true});
  double worst = 0;
  for (arma::uword i = 0; i < a.size(); ++i)
    for (arma::uword j = 0; j < b.size(); ++j) {
      const PairKernel r = reference_mlp(a.x().col(i), b.x().col(j), depth, w, bias, act,
                                         standard, width, frozen_first, &a == &b && i == j);
      worst = std::max({worst, std::abs(k.nngp(i, j) - r.s12) / std::abs(r.s11 + r.s22),
                        std::abs(k.ntk(i, j) - r.t12) / std::max(std::abs(r.t12), 1e-300)});
    }
  INFO(act << " depth " << depth << " worst relative difference " << worst);
  CHECK(worst < 1e-12);
}

}  // namespace

TEST_CASE("MLP compositions equal the textbook recursion (non-default scales)", "[stax]") {
  const Inputs a = gaussian(7, 9, 1), b = gaussian(7, 6, 2);
  for (const std::string act : {"relu", "erf"})
    for (int depth : {1, 3}) {
      st::CompositionOptions co;
      co.outputs = 3;
      const auto comp = st::composition(mlp(depth, 1.4, 0.3, act), co);
      check_against_reference(*comp, a, a, depth, 1.4, 0.3, act, false, 0, false);
      check_against_reference(*comp, a, b, depth, 1.4, 0.3, act, false, 0, false);
    }
  st::CompositionOptions standard;
  standard.parametrization = ntk::sdk::Parametrization::standard;
  standard.standard_width = 64;
  check_against_reference(*st::composition(mlp(2, 1.2, 0.5, "relu"), standard), a, b, 2, 1.2,
                          0.5, "relu", true, 64, false);
  check_against_reference(*st::composition(mlp(2, 1.2, 0.5, "relu", true), {}), a, b, 2, 1.2, 0.5,
                          "relu", false, 0, true);
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
