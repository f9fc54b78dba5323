// The finite CNN with C channels per conv layer, in the parametrisation of the analytic
// kernel (NTK parametrisation, neural-tangents' Conv and Dense):
//
//   h_0 = x (C_0 × H·W, channel-major columns reshaped), for l = 1 … L:
//   z_l(c, i) = (w_std/√(C_{l-1}·q²))·Σ_{c', δ} W_l[c, c', δ]·h_{l-1}(c', i + δ) + b_std·b_l[c]
//   h_l = φ(z_l)                   (a padded pixel is 0 for SAME, wrapped for CIRCULAR)
//   f   = (readout_w_std/√(C·F))·Σ_{c, o} w[c, o]·(h_L A)(c, o) + readout_b_std·b_out
//
// where A (H·W × F) is the readout: the identity (flatten, F = H·W), the mean over pixels
// (gap, F = 1) or p × p average pooling with stride s (pool). All parameters are N(0, 1),
// drawn in flat order from std::mt19937_64(seed).
//
// Flat layout: for l = 1 … L: W_l as a C × (C_{l-1}·q²) column-major matrix whose column
// c'·q² + a·q + b is input channel c' at filter offset (a − (q−1)/2, b − (q−1)/2), then b_l
// (C); then w (C × F, column-major), then b_out. C_0 is the image channel count, known from
// input_shape or the first input (parameters are drawn then). One output.
#pragma once

#include <armadillo>
#include <cstdint>
#include <vector>

#include "cnn_config.hpp"
#include "conv_patches.hpp"
#include "lazy_network.hpp"

namespace ntk::legacy_cnn {

// num_params/params/set_params come from sdk::LazyNetwork (lazy_network.hpp).
class CnnNetwork : public sdk::LazyNetwork {
 public:
  CnnNetwork(const CnnConfig& config, arma::uword channels, std::uint64_t seed);

  arma::uword outputs() const override { return 1; }

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  // Per-example gradients from one batched backward pass (cnn_network_ntk.cpp).
  arma::mat jacobian(const sdk::Inputs& x) const override;
  // Σ_layers J_l(a)·J_l(b)ᵀ, one layer's n × P_l gradient block at a time: BLAS-3 and never
  // the whole n × P Jacobian (a pixel-pair factorisation would cost (H·W)² per pair, more
  // than the C²q² parameters of a layer for images of useful size).
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;

  arma::uword channels() const { return channels_; }

  using Layer = sdk::ConvLayer;  // fan_in = C_{l-1}
  // The forward pass with what derivatives need; matrices are channels × (H·W·n), column
  // e·H·W + i for pixel i of example e.
  struct Trace {
    std::vector<arma::mat> patches;  // per layer: im2col of its input, (C_{l-1}·q²) × (H·W·n)
    std::vector<arma::mat> dphi;     // per layer: φ'(z_l)
    arma::mat last;                  // h_L
    arma::rowvec out;                // f, 1 × n
  };

 private:
  friend struct CnnGradients;
  const arma::mat& checked_input(const sdk::Inputs& x, const char* caller) const;
  void materialise(const sdk::ImageShape& shape) const;
  const arma::mat weight(const Layer& l) const;
  const arma::mat readout_weight() const;  // C × F view
  arma::mat input_matrix(const arma::mat& x) const;  // C_0 × (H·W·n)
  arma::mat im2col(const arma::mat& h) const;        // sdk::im2col with this network's taps
  arma::mat col2im(const arma::mat& patches, arma::uword channels) const;
  void activate(arma::mat& z, arma::mat* dphi) const;  // z ← φ(z); dphi ← φ'(z)
  Trace trace(const arma::mat& x) const;
  // ∂⟨r, f⟩/∂z_l for every layer (channels × (H·W·n)); r is 1 × n.
  std::vector<arma::mat> backward(const Trace& t, const arma::rowvec& r) const;
  double readout_scale() const;

  CnnConfig config_;
  arma::uword channels_;
  std::uint64_t seed_;
  mutable sdk::ImageShape shape_;
  mutable std::vector<Layer> layers_;
  mutable arma::sp_mat pool_;           // A, H·W × F
  mutable arma::umat neighbours_;       // q² × H·W: source pixel + 1 of each filter tap, 0 = pad
  mutable arma::uword readout_offset_ = 0, features_ = 0;
};

}  // namespace ntk::legacy_cnn
