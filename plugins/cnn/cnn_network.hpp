// The finite CNN with C channels per conv layer: the composition's network (sdk/src/stax) in
// the parametrisation of the analytic kernel, behind cnn's input checks. Its formula and flat
// parameter layout are in plugins/cnn/README.md ("Finite network and parameter layout").
//
// The image shape is input_shape, or the shape of the first input the network is given
// (parameters are drawn then; until then num_params()/params() refuse with a hint).
#pragma once

#include <memory>

#include "cnn_config.hpp"
#include "ntk/sdk/network.hpp"

namespace ntk::cnn {

class CnnNetwork : public sdk::Network {
 public:
  CnnNetwork(const CnnConfig& config, std::unique_ptr<sdk::Network> composition)
      : config_(config), net_(std::move(composition)), shape_(config.input_shape) {}

  arma::uword num_params() const override { return net_->num_params(); }
  arma::uword outputs() const override { return net_->outputs(); }
  const arma::vec& params() const override { return net_->params(); }
  void set_params(const arma::vec& params) override { net_->set_params(params); }
  arma::vec trainable_mask() const override { return net_->trainable_mask(); }

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  arma::mat jacobian(const sdk::Inputs& x) const override;
  // Structured (the composition's backward walk): per conv layer, each example's gradient
  // block from its patches and signals, G_a G_bᵀ; the n × P Jacobian is never formed.
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;
  arma::mat ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const override;

 private:
  const sdk::Inputs& checked(const sdk::Inputs& x, const char* caller) const;

  CnnConfig config_;
  std::unique_ptr<sdk::Network> net_;
  mutable sdk::ImageShape shape_;  // {0, 0, 0} until the first input without input_shape
};

}  // namespace ntk::cnn
