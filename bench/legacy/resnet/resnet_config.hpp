// The resnet plugin's configuration (read in resnet_architecture.cpp) and its analytic kernel
// as a composition of SDK rules, in neural-tangents' stax terms:
//
//   serial(Dense, [FanOut(2), parallel(serial((φ, Dense) × branch_depth) · α, Identity),
//          FanInSum] × blocks, φ, Dense(readout))                                 kind = "mlp"
//   serial(Conv, [the same blocks with Conv], φ, Flatten | GlobalAvgPool, Dense)   kind = "conv"
//
// α multiplies the branch's output, so a block maps Σ ← Σ + α²·Σ_branch, Θ ← Θ + α²·Θ_branch
// (layers.hpp: residual_start / residual_sum).
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_pool.hpp"
#include "ntk/sdk/inputs.hpp"

namespace ntk::legacy_resnet {

enum class Kind { mlp, conv };
enum class Activation { relu, erf };
enum class Readout { flatten, gap };

struct ResnetConfig {
  Kind kind = Kind::mlp;
  int blocks = 2;        // B residual blocks
  double alpha = 1.0;    // branch scale α
  int branch_depth = 2;  // (φ, Dense|Conv) pairs per branch
  Activation activation = Activation::relu;
  double w_std = 1.0, b_std = 0.0;  // stem and branch layers
  double readout_w_std = 1.0, readout_b_std = 0.0;
  arma::uword outputs = 1;  // k
  // kind = "conv" only
  arma::uword filter = 3;  // q (odd)
  sdk::layers::Padding padding = sdk::layers::Padding::same;
  Readout readout = Readout::flatten;
  sdk::ImageShape input_shape;  // {0, 0, 0}: taken from image inputs
};

inline const char* activation_name(Activation a) { return a == Activation::relu ? "relu" : "erf"; }
inline const char* readout_name(Readout r) { return r == Readout::flatten ? "flatten" : "gap"; }

// kind = "mlp": the whole kernel, one fold of dense rules.
inline std::vector<sdk::layers::Rule> dense_rules(const ResnetConfig& c) {
  namespace L = sdk::layers;
  const auto phi = [&] { return c.activation == Activation::relu ? L::relu() : L::erf(); };
  std::vector<L::Rule> rules{L::dense(c.w_std, c.b_std)};
  for (int b = 0; b < c.blocks; ++b) {
    rules.push_back(L::residual_start());
    for (int l = 0; l < c.branch_depth; ++l) {
      rules.push_back(phi());
      rules.push_back(L::dense(c.w_std, c.b_std));
    }
    rules.push_back(L::residual_sum(c.alpha));
  }
  rules.push_back(phi());
  rules.push_back(L::dense(c.readout_w_std, c.readout_b_std));
  return rules;
}

// kind = "conv": the rules up to the spatial readout; the readout Dense follows (dense rule).
inline std::vector<sdk::layers::ImageRule> image_rules(const ResnetConfig& c) {
  namespace L = sdk::layers;
  const auto phi = [&] { return c.activation == Activation::relu ? L::image_relu() : L::image_erf(); };
  std::vector<L::ImageRule> rules{L::conv(c.w_std, c.b_std, c.filter, c.padding)};
  for (int b = 0; b < c.blocks; ++b) {
    rules.push_back(L::image_residual_start());
    for (int l = 0; l < c.branch_depth; ++l) {
      rules.push_back(phi());
      rules.push_back(L::conv(c.w_std, c.b_std, c.filter, c.padding));
    }
    rules.push_back(L::image_residual_sum(c.alpha));
  }
  rules.push_back(phi());
  return rules;
}

inline sdk::layers::SpatialReadout spatial_readout(const ResnetConfig& c) {
  return c.readout == Readout::flatten ? sdk::layers::flatten()
                                       : sdk::layers::global_average_pool();
}

}  // namespace ntk::legacy_resnet
