// The resnet plugin's configuration, read from the user's options (resnet_architecture.cpp).
// The architecture, in neural-tangents' stax terms (resnet_architecture.cpp: layers()):
//
//   serial(Dense, [FanOut(2), parallel(serial((φ, Dense) × branch_depth) · α, Identity),
//          FanInSum] × blocks, φ, Dense(readout))                                 kind = "mlp"
//   serial(Conv, [the same blocks with Conv], φ, Flatten | GlobalAvgPool, Dense)   kind = "conv"
#pragma once

#include <armadillo>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/layer.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::resnet {

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
  int fixed_layers = 0;     // F ≤ 1 + B·branch_depth: the stem and the next F − 1 branch layers
  // kind = "mlp" only
  sdk::Parametrization parametrization = sdk::Parametrization::ntk;
  arma::uword standard_width = 0;
  arma::uword input_dim = 0;  // d of finite networks; 0 = from their first input
  // kind = "conv" only
  arma::uword filter = 3;  // q (odd)
  sdk::Padding padding = sdk::Padding::same;
  Readout readout = Readout::flatten;
  sdk::ImageShape input_shape;  // {0, 0, 0}: taken from image inputs
  sdk::Precision precision = sdk::Precision::float64;

  int hidden_layers() const { return 1 + blocks * branch_depth; }  // parametrised, readout aside
};

inline const char* activation_name(Activation a) { return a == Activation::relu ? "relu" : "erf"; }
inline const char* readout_name(Readout r) { return r == Readout::flatten ? "flatten" : "gap"; }

}  // namespace ntk::resnet
