// The cnn plugin's configuration (read in cnn_architecture.cpp) and its kernel as a
// composition of SDK rules: serial(Conv, φ, …, Conv, φ, readout, Dense).
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "layers.hpp"
#include "layers_conv.hpp"
#include "layers_pool.hpp"
#include "ntk/sdk/inputs.hpp"

namespace ntk::legacy_cnn {

enum class Activation { relu, erf };
enum class Readout { flatten, gap, pool };

struct CnnConfig {
  int depth = 2;                 // conv layers, each followed by the activation
  arma::uword filter = 3;        // q (odd)
  sdk::layers::Padding padding = sdk::layers::Padding::same;
  Activation activation = Activation::relu;
  double w_std = 1.0, b_std = 0.0;
  Readout readout = Readout::flatten;
  arma::uword pool_window = 2, pool_stride = 2;  // readout = pool
  double readout_w_std = 1.0, readout_b_std = 0.0;
  sdk::ImageShape input_shape;   // {0, 0, 0}: taken from image inputs
  sdk::layers::Precision precision = sdk::layers::Precision::float64;
};

inline const char* activation_name(Activation a) { return a == Activation::relu ? "relu" : "erf"; }
inline const char* readout_name(Readout r) {
  return r == Readout::flatten ? "flatten" : (r == Readout::gap ? "gap" : "pool");
}

inline std::vector<sdk::layers::ImageRule> conv_rules(const CnnConfig& c) {
  namespace L = sdk::layers;
  std::vector<L::ImageRule> rules;
  for (int l = 0; l < c.depth; ++l) {
    rules.push_back(L::conv(c.w_std, c.b_std, c.filter, c.padding));
    rules.push_back(c.activation == Activation::relu ? L::image_relu() : L::image_erf());
  }
  return rules;
}

inline sdk::layers::SpatialReadout spatial_readout(const CnnConfig& c) {
  namespace L = sdk::layers;
  switch (c.readout) {
    case Readout::flatten: return L::flatten();
    case Readout::gap: return L::global_average_pool();
    case Readout::pool: return L::average_pool(c.pool_window, c.pool_stride);
  }
  return L::flatten();
}

}  // namespace ntk::legacy_cnn
