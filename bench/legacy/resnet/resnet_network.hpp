// The finite residual network of width m (kind = "mlp") or C channels (kind = "conv"), in the
// NTK parametrisation of the analytic kernel. Both kinds are one implementation: a vector of
// d entries is an image of d channels and 1 × 1 pixels, and a Dense layer a 1 × 1 convolution.
//
//   h_0 = x (C_0 × H·W per example), layer(h) = (w_std/√(C_in·q²))·W ⋆ h + b_std·b
//   x_0 = layer_stem(h_0)                                   (C channels, no activation)
//   x_b = x_{b-1} + α·u_{b,L},  u_{b,0} = x_{b-1},  u_{b,l} = layer_{b,l}(φ(u_{b,l-1}))
//   f   = (readout_w_std/√(C·F))·R·vec(φ(x_B)·A) + readout_b_std·r       (k × n)
//
// ⋆ is the q × q convolution with SAME (zero) or CIRCULAR padding (q = 1 for mlp), A (H·W × F)
// the readout: identity (flatten, F = H·W) or the pixel mean (gap, F = 1); F = 1 for mlp. All
// parameters are N(0, 1), drawn in flat order from std::mt19937_64(seed).
//
// Flat layout: the stem's W (C × C_0·q², column-major; column c'·q² + a·q + b is input channel
// c' at filter offset (a − (q−1)/2, b − (q−1)/2)) then b (C); then the branch layers block by
// block, layer by layer, each W (C × C·q²) then b (C); then R (k × C·F, column-major; feature
// c + C·f) and r (k). C_0 (d for mlp) is known from input_shape or the first input the
// network sees (parameters are drawn then; not thread-safe before that first call).
#pragma once

#include <armadillo>
#include <cstdint>
#include <vector>

#include "conv_patches.hpp"
#include "lazy_network.hpp"
#include "resnet_config.hpp"

namespace ntk::legacy_resnet {

// num_params/params/set_params come from sdk::LazyNetwork (lazy_network.hpp).
class ResnetNetwork : public sdk::LazyNetwork {
 public:
  ResnetNetwork(const ResnetConfig& config, arma::uword width, std::uint64_t seed);

  arma::uword outputs() const override { return config_.outputs; }

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  // One backward pass per output for all examples (resnet_network_ntk.cpp).
  arma::mat jacobian(const sdk::Inputs& x) const override;
  // Structured (resnet_network_ntk.cpp). mlp: per layer ⟨δ, δ'⟩ ⊙ (s²⟨h, h'⟩ + β²), BLAS-3 on
  // n × n matrices; conv: Σ_layers J_l(a) J_l(b)ᵀ one layer's n × P_l block at a time. Never
  // the whole n × P Jacobian.
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;

  arma::uword width() const { return width_; }

  using Layer = sdk::ConvLayer;
  // The forward pass with what derivatives need; matrices are channels × (H·W·n), column
  // e·H·W + i for pixel i of example e.
  struct Trace {
    arma::mat input;                // h_0
    std::vector<arma::mat> inputs;  // per branch layer: φ(u), its input
    std::vector<arma::mat> dphi;    // per branch layer: φ'(u)
    arma::mat head_dphi;            // φ'(x_B)
    arma::mat features;             // vec(φ(x_B)·A) per example, C·F × n
    arma::mat out;                  // f, k × n
  };

 private:
  friend struct ResnetGradients;
  const arma::mat& checked_input(const sdk::Inputs& x, const char* caller) const;
  void materialise(const sdk::ImageShape& shape) const;
  arma::uword area() const { return shape_.height * shape_.width; }
  const arma::mat weight(const Layer& l) const;
  const arma::vec bias(const Layer& l) const;
  const arma::mat readout_weight() const;  // k × C·F view
  double readout_scale() const;
  arma::mat input_matrix(const arma::mat& x) const;  // C_0 × (H·W·n)
  arma::mat im2col(const arma::mat& h) const;        // (C·q²) × (H·W·n)
  arma::mat col2im(const arma::mat& patches, arma::uword channels) const;
  // s·W ⋆ h + β·b (the layer's tangent as well when dw/db are given).
  arma::mat apply_layer(const Layer& l, const arma::mat& h) const;
  arma::mat features(const arma::mat& h) const;          // C × H·W·n → C·F × n
  arma::mat features_adjoint(const arma::mat& g) const;  // C·F × n → C × H·W·n
  void activate(arma::mat& z, arma::mat* dphi) const;    // z ← φ(z); dphi ← φ'(z)
  Trace trace(const arma::mat& x) const;
  // ∂⟨r, f⟩/∂z_l for the stem (index 0) and every branch layer (1 + b·L + l); r is k × n.
  std::vector<arma::mat> backward(const Trace& t, const arma::mat& r) const;

  ResnetConfig config_;
  arma::uword width_;
  std::uint64_t seed_;
  mutable sdk::ImageShape shape_;
  mutable std::vector<Layer> layers_;   // stem, then branch layers block by block
  mutable arma::umat neighbours_;       // q² × H·W: source pixel + 1 of each tap, 0 = pad
  mutable arma::uword readout_offset_ = 0, features_ = 0;  // F
};

}  // namespace ntk::legacy_resnet
