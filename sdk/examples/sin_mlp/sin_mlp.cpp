// sin_mlp: a plugin written outside the ntklab tree, as any author would write one. It adds a
// new activation, φ = sin with its closed-form Gaussian expectations, and composes it with the
// SDK's layer library: Dense, φ, ..., Dense (depth hidden layers). The SDK's composition gives
// the analytic NNGP/NTK and the finite networks with their structured empirical NTK, so the
// activation is all the new code. `activation = "swish"` shows the other way to add one: give
// φ and φ' only, and let numerical_activation compute the expectations by quadrature.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <ntk/sdk/sdk.hpp>
#include <ntk/sdk/stax.hpp>

namespace sin_mlp {
namespace sdk = ntk::sdk;
namespace stax = ntk::sdk::stax;

// φ(z) = sin z, written out as the pattern for any activation with a closed form (the SDK's
// catalog has one too, activation("sin"); a new φ is written the same way). For (u, v) ~ N(0, [[s11, s12], [s12, s22]]), from E[cos(u ± v)] =
// exp(−(s11 ± 2·s12 + s22)/2):
//   E[sin u · sin v] = exp(−(s11 + s22)/2) · sinh(s12)
//   E[cos u · cos v] = exp(−(s11 + s22)/2) · cosh(s12)
//   E[sin² u]        = (1 − exp(−2·s11)) / 2
class Sin final : public sdk::Activation {
 public:
  std::string name() const override { return "Sin"; }
  double value(double z) const override { return std::sin(z); }
  double derivative(double z) const override { return std::cos(z); }
  sdk::GaussianExpectations expectations(double s11, double s12, double s22) const override {
    const double damping = std::exp(-(s11 + s22) / 2);
    return {damping * std::sinh(s12), damping * std::cosh(s12)};
  }
  double variance(double s) const override { return (1 - std::exp(-2 * s)) / 2; }
};

// Swish (Ramachandran et al. 2017), φ(z) = z·σ(z): no closed form, so Gauss–Hermite quadrature.
sdk::ActivationPtr swish() {
  const auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  return sdk::numerical_activation(
      "Swish", [sigmoid](double z) { return z * sigmoid(z); },
      [sigmoid](double z) { return sigmoid(z) * (1 + z * (1 - sigmoid(z))); });
}

sdk::PluginInfo info() {
  return {"sin_mlp",
          "0.1.0",
          "Example out-of-tree plugin: Dense, sin, ..., Dense from the SDK layer library",
          {
              {"depth", 1.0, "hidden layers L >= 0 (L + 1 dense layers)"},
              {"activation", std::string("sin"),
               "\"sin\" (closed-form kernels) or \"swish\" (kernels by quadrature)"},
              {"w_std", 1.0, "weight standard deviation sigma_w > 0"},
              {"b_std", 0.0, "bias standard deviation sigma_b >= 0"},
              {"outputs", 1.0, "number of outputs k"},
              {"input_dim", 0.0, "input dimension of finite networks; 0 = from the first input"},
          }};
}

std::unique_ptr<sdk::Architecture> make(const sdk::Options& options) {
  const sdk::PluginInfo declared = info();  // the reader keeps a reference to its options
  const sdk::OptionReader read("sin_mlp options", declared.options, options);
  const long long depth = read.integer("depth", 0, 1000);
  const double w_std = read.finite("w_std", /*positive=*/true);
  const double b_std = read.finite("b_std");
  if (b_std < 0) ntk::throw_error("sin_mlp options: option 'b_std' = ", b_std, " must be >= 0");
  const sdk::ActivationPtr phi = read.choice("activation", {"sin", "swish"}) == "sin"
                                     ? std::make_shared<const Sin>()
                                     : swish();

  std::vector<sdk::LayerPtr> layers;
  for (long long l = 0; l < depth; ++l) {
    layers.push_back(stax::dense(w_std, b_std));
    layers.push_back(stax::activation(phi));
  }
  layers.push_back(stax::dense(w_std, b_std));

  stax::CompositionOptions composition;
  composition.name = "sin_mlp";
  composition.outputs = arma::uword(read.integer("outputs", 1, 1000000));
  composition.input_dim = arma::uword(read.integer("input_dim", 0, 1LL << 40));
  return stax::composition(std::move(layers), composition);
}

}  // namespace sin_mlp

NTK_REGISTER_PLUGIN(sin_mlp::info, sin_mlp::make)
