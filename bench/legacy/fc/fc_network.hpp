// The finite fully connected network of width m, in the same parametrisation as the kernel.
//
// Layers l = 1 … L+1 with fan-in n_{l-1} (n_0 = d, then m) and fan-out n_l (m, last k):
//   NTK parametrisation:      z_l = (w_std/√n_{l-1})·W_l·h_{l-1} + b_std·b_l,  W, b ~ N(0, 1)
//   standard parametrisation: z_l = W_l·h_{l-1} + b_l,  W ~ N(0, w_std²/n_{l-1}), b ~ N(0, b_std²)
// h_0 = x, h_l = φ(z_l), f = z_{L+1}. Parameters are drawn in flat order from
// std::mt19937_64(seed) with std::normal_distribution, one at a time, so the same seed gives
// the same network on any thread count.
//
// Flat parameter layout: layer by layer, W_l (n_l × n_{l-1}, column-major) then b_l (n_l).
// In the NTK parametrisation the vector holds the N(0, 1) variables (the scales are fixed
// constants of the layer), in the standard one the weights themselves.
//
// The input dimension d is the option input_dim, or, when that is 0, the row count of the first
// input the network is given (parameters are drawn then; until then num_params()/params()
// refuse with a hint). Not thread-safe before that first call.
#pragma once

#include <armadillo>
#include <cstdint>
#include <vector>

#include "fc_config.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::legacy_fc {

class FcNetwork : public sdk::Network {
 public:
  FcNetwork(const FcConfig& config, arma::uword width, std::uint64_t seed);

  arma::uword num_params() const override;
  arma::uword outputs() const override { return config_.outputs; }
  const arma::vec& params() const override;
  void set_params(const arma::vec& params) override;

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  // Direct: one forward and one backward pass for all n·k rows, no n·k separate vjps.
  arma::mat jacobian(const sdk::Inputs& x) const override;
  // Structured (fc_network_ntk.cpp): per layer ⟨δ_l, δ_l'⟩ ⊙ (s_l²⟨h_{l-1}, h_{l-1}'⟩ + β_l²),
  // BLAS-3, never the n × P Jacobian; one triangle's work when &a == &b.
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;
  arma::mat ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const override;

  arma::uword width() const { return width_; }
  arma::uword input_dim() const { return input_dim_; }

  // One dense layer's place in the flat vector and its constant scales.
  struct Layer {
    arma::uword fan_in = 0, fan_out = 0;
    arma::uword w_offset = 0, b_offset = 0;
    double w_scale = 1, b_scale = 1;  // s_l and β_l above
  };
  // The forward pass with what derivatives need: h[0..L] (h[0] = x) and φ'(z_l) for l = 1..L.
  struct Trace {
    std::vector<arma::mat> h;
    std::vector<arma::mat> dphi;
    arma::mat out;  // z_{L+1}, k × n
  };
  Trace trace(const arma::mat& x) const;
  const std::vector<Layer>& layers() const { return layers_; }

 private:
  const arma::mat& checked_input(const sdk::Inputs& x, const char* caller) const;
  void materialise(arma::uword d) const;  // draws the parameters once d is known
  void require_materialised(const char* caller) const;
  // W_l and b_l as read-only views into params_.
  const arma::mat weight(const Layer& l) const;
  const arma::vec bias(const Layer& l) const;
  void activate(arma::mat& z, arma::mat* dphi) const;  // z ← φ(z); dphi ← φ'(z)
  // The backward signals δ_l (n_l × n·k, column i·k + o) for l = 1..L, from δ_{L+1} = e_o.
  std::vector<arma::mat> output_signals(const Trace& t) const;

  FcConfig config_;
  arma::uword width_;
  std::uint64_t seed_;
  mutable arma::uword input_dim_ = 0;
  mutable std::vector<Layer> layers_;
  mutable arma::vec params_;

  friend struct FcNetworkKernel;
};

}  // namespace ntk::legacy_fc
