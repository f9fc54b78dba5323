// The cnn plugin's configuration, read from the user's options (cnn_architecture.cpp).
#pragma once

#include <armadillo>

#include "ntk/sdk/inputs.hpp"
#include "ntk/sdk/layer.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::cnn {

enum class Activation { relu, erf };
enum class Readout { flatten, gap, pool };

struct CnnConfig {
  int depth = 2;                 // conv layers, each followed by the activation
  int fixed_layers = 0;          // F ≤ depth: conv layers 1..F are not trained
  arma::uword filter = 3;        // q (odd)
  sdk::Padding padding = sdk::Padding::same;
  Activation activation = Activation::relu;
  double w_std = 1.0, b_std = 0.0;
  Readout readout = Readout::flatten;
  arma::uword pool_window = 2, pool_stride = 2;  // readout = pool
  double readout_w_std = 1.0, readout_b_std = 0.0;
  arma::uword outputs = 1;       // k
  sdk::ImageShape input_shape;   // {0, 0, 0}: taken from image inputs
  sdk::Precision precision = sdk::Precision::float64;
};

inline const char* activation_name(Activation a) { return a == Activation::relu ? "relu" : "erf"; }
inline const char* readout_name(Readout r) {
  return r == Readout::flatten ? "flatten" : (r == Readout::gap ? "gap" : "pool");
}

}  // namespace ntk::cnn
