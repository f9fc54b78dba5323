// Spatial readouts of convolutional kernels: how the per-pixel-pair kernel Σ(i, j) of the
// last layer becomes the kernel of a feature vector that a Dense readout can take.
//
// Conventions are neural-tangents' (stax.Flatten, stax.GlobalAvgPool, stax.AvgPool with
// padding 'VALID' followed by Flatten), with H × W images:
//   flatten          Σ ← mean_i Σ(i, i)                         (only the spatial diagonal)
//   global_average   Σ ← mean_{i,j} Σ(i, j)                     (every pixel pair)
//   average_pool     p × p windows with stride s (VALID), then flatten:
//                    Σ ← mean_o (1/p⁴) Σ_{i,j ∈ window(o)} Σ(i, j)
// (the same for Θ). Each is a weighted sum Σ_{i,j} R(i, j)·Σ(i, j) whose weight factorises
// over the two axes, R((h1, w1), (h2, w2)) = R_h(h1, h2)·R_w(w1, w2); axis_weights() gives the
// factor of one axis, from which a kernel computes only the pixel pairs it needs.
#pragma once

#include <armadillo>
#include <string>

namespace ntk::sdk::layers {

struct SpatialReadout {
  enum class Kind { flatten, global_average, average_pool };
  Kind kind = Kind::flatten;
  arma::uword window = 2, stride = 2;  // average_pool only

  std::string name() const;  // "Flatten", "GlobalAvgPool", "AvgPool(2x2, stride 2), Flatten"
};

SpatialReadout flatten();
SpatialReadout global_average_pool();
// Refuses (ntk::Error) window = 0 or stride = 0.
SpatialReadout average_pool(arma::uword window, arma::uword stride);

// R_axis (n × n) for an axis of length n. average_pool refuses a window longer than the axis.
arma::mat axis_weights(const SpatialReadout& readout, arma::uword n,
                       const std::string& caller = "axis_weights()");

}  // namespace ntk::sdk::layers
