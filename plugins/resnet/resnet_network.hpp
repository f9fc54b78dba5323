// The finite residual network of width m (channels C for kind = "conv"): the composition's
// network (sdk/src/stax) in the parametrisation of the analytic kernel, behind resnet's input
// checks. Its formula and flat parameter layout are in plugins/resnet/README.md.
//
// The input size is input_shape (conv) or input_dim (mlp), and the parameters are drawn with
// the network; without them, the size of the first input the network is given (parameters are
// drawn then; until then num_params()/params() refuse with a hint). kind =
// "mlp" reads images as their C·H·W vectors.
#pragma once

#include <memory>

#include "ntk/sdk/network_into.hpp"
#include "ntk/sdk/network.hpp"
#include "resnet_config.hpp"

namespace ntk::resnet {

class ResnetNetwork : public sdk::Network, public sdk::VjpInto {
 public:
  ResnetNetwork(const ResnetConfig& config, std::unique_ptr<sdk::Network> composition)
      : config_(config),
        net_(std::move(composition)),
        shape_(config.kind == Kind::mlp && config.input_dim != 0
                   ? sdk::ImageShape{config.input_dim, 1, 1}
                   : config.input_shape) {}

  arma::uword num_params() const override { return net_->num_params(); }
  arma::uword outputs() const override { return net_->outputs(); }
  const arma::vec& params() const override { return net_->params(); }
  void set_params(const arma::vec& params) override { net_->set_params(params); }
  arma::vec trainable_mask() const override { return net_->trainable_mask(); }

  arma::mat forward(const sdk::Inputs& x) const override;
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) const override;
  // The composition's vjp_into (network_into.hpp): a training loop's gradient is reused.
  void vjp_into(const sdk::Inputs& x, const arma::mat& cotangent, arma::vec& gradient) const override;
  arma::mat jvp(const sdk::Inputs& x, const arma::vec& tangent) const override;
  arma::mat jacobian(const sdk::Inputs& x) const override;
  // Structured (the composition's backward walk, residual branches with the signals α·δ):
  // dense layers (δᵀδ') ⊙ (s²hᵀh' + β²), conv layers G_a G_bᵀ; never the n × P Jacobian.
  arma::mat ntk(const sdk::Inputs& a, const sdk::Inputs& b) const override;
  arma::mat ntk_full(const sdk::Inputs& a, const sdk::Inputs& b) const override;

 private:
  // x itself, or (mlp) a dense copy of an image input, after resnet's checks.
  const sdk::Inputs& checked(const sdk::Inputs& x, const char* caller, sdk::Inputs& copy) const;

  ResnetConfig config_;
  std::unique_ptr<sdk::Network> net_;
  mutable sdk::ImageShape shape_;  // {d, 1, 1} for mlp; {0, 0, 0} until the first input
};

}  // namespace ntk::resnet
