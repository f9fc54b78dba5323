// The FC plugin's configuration, read from the user's options (fc_architecture.cpp).
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "layers.hpp"

namespace ntk::legacy_fc {

enum class Activation { relu, erf };

struct FcConfig {
  int depth = 1;                 // hidden layers L; the network has L + 1 dense layers
  int fixed_layers = 0;          // F ≤ L: dense layers 1..F are not trained (their NTK terms drop)
  Activation activation = Activation::relu;
  double w_std = 1.0;
  double b_std = 0.0;
  sdk::Parametrization parametrization = sdk::Parametrization::ntk;
  arma::uword outputs = 1;       // k
  double standard_width = 0;     // N of the analytic kernel, standard parametrisation only
  arma::uword input_dim = 0;     // d of finite networks; 0 = taken from the first input
};

inline const char* activation_name(Activation a) { return a == Activation::relu ? "relu" : "erf"; }

// The analytic kernel as a fold of SDK rules: Dense, φ, …, Dense (depth + 1 dense rules).
inline std::vector<sdk::layers::Rule> kernel_rules(const FcConfig& c) {
  namespace L = sdk::layers;
  std::vector<L::Rule> rules;
  for (int l = 0; l < c.depth; ++l) {
    rules.push_back(L::dense(c.w_std, c.b_std, c.parametrization, c.standard_width));
    rules.push_back(c.activation == Activation::relu ? L::relu() : L::erf());
  }
  rules.push_back(L::dense(c.w_std, c.b_std, c.parametrization, double(c.outputs)));
  return rules;
}

// The dense coefficients of the l-th dense rule (0-based) of kernel_rules(c) as the SDK applies
// them (layers.cpp): Σ ← W²Σ + b², Θ ← (from·Σ_old + shift) + W²Θ; `fan_in` is the layer's input
// width (d for l = 0, then standard_width), which only the standard parametrisation reads.
struct DenseCoefficients {
  double nngp_scale, nngp_shift, ntk_from_nngp, ntk_shift, ntk_scale;
};
inline DenseCoefficients dense_coefficients(const FcConfig& c, double fan_in) {
  const double w2 = c.w_std * c.w_std, b2 = c.b_std * c.b_std;
  if (c.parametrization == sdk::Parametrization::ntk) return {w2, b2, w2, b2, w2};
  return {w2, b2, fan_in, 1.0, w2};
}

}  // namespace ntk::legacy_fc
