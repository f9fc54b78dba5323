// The finite fully connected network of width m: the composition's network (sdk/src/stax) in
// the same parametrisation as the kernel, behind fc's input checks.
//
// Layers l = 1 … L+1 with fan-in n_{l-1} (n_0 = d, then m) and fan-out n_l (m, last k):
//   NTK parametrisation:      z_l = (w_std/√n_{l-1})·W_l·h_{l-1} + b_std·b_l,  W, b ~ N(0, 1)
//   standard parametrisation: z_l = W_l·h_{l-1} + b_l,  W ~ N(0, w_std²/n_{l-1}), b ~ N(0, b_std²)
// h_0 = x, h_l = φ(z_l), f = z_{L+1}. Parameters are drawn in flat order from
// std::mt19937_64(seed) with std::normal_distribution, one at a time, so the same seed gives
// the same network on any thread count. Flat layout: layer by layer, W_l (n_l × n_{l-1},
// column-major) then b_l (n_l) — parameter_layout() below. With fixed_layers = F, layers
// 1..F keep their parameters but are frozen: no gradient, no term in ntk().
//
// The input dimension d is the option input_dim, or, when that is 0, the row count of the first
// input the network is given (parameters are drawn then; until then num_params()/params()
// refuse with a hint). Images are read as their C·H·W vectors. Not thread-safe before that
// first call.
#pragma once

#include <armadillo>
#include <memory>
#include <vector>

#include "fc_config.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::fc {

// One dense layer's place in the flat parameter vector.
struct DenseBlock {
  arma::uword fan_in = 0, fan_out = 0;
  arma::uword w_offset = 0, b_offset = 0;
};
std::vector<DenseBlock> parameter_layout(const FcConfig& config, arma::uword input_dim,
                                         arma::uword width);

class FcNetwork : public sdk::Network {
 public:
  FcNetwork(std::unique_ptr<sdk::Network> composition, arma::uword input_dim)
      : net_(std::move(composition)), input_dim_(input_dim) {}

  arma::uword num_params() const override { return net_->num_params(); }
  arma::uword outputs() const override { return net_->outputs(); }
  const arma::vec& params() const override { return net_->params(); }
  void set_params(const arma::vec& params) override { net_->set_params(params); }
  arma::vec trainable_mask() const override { return net_->trainable_mask(); }

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  arma::mat jacobian(const sdk::Inputs& x) const override;
  // Structured (the composition's backward walk): per layer ⟨δ_l, δ_l'⟩ ⊙ (s_l²⟨h, h'⟩ + β_l²),
  // BLAS-3, never the n × P Jacobian; one triangle's work when &a == &b.
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;
  arma::mat ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const override;

 private:
  // x itself, or a dense copy of an image input, after fc's checks (graphs, row count).
  const sdk::Inputs& checked(const sdk::Inputs& x, const char* caller, sdk::Inputs& copy) const;

  std::unique_ptr<sdk::Network> net_;
  mutable arma::uword input_dim_;  // 0 until the first input when input_dim is not given
};

}  // namespace ntk::fc
