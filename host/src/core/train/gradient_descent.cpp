#include "core/train/gradient_descent.hpp"

#include "core/train/descent.hpp"
#include "ntk/sdk/network_into.hpp"

namespace ntk::core::train {

namespace {

// The network itself: predictions and vjp at its current parameters.
class NetworkModel final : public DescentModel {
 public:
  explicit NetworkModel(sdk::Network& net) : net_(net) {}
  const arma::vec& params() const override { return net_.params(); }
  void set_params(const arma::vec& params) override { net_.set_params(params); }
  arma::mat predict(const sdk::Inputs& x) override { return net_.forward(x); }
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) override {
    return net_.vjp(x, cotangent);
  }
  void vjp_into(const sdk::Inputs& x, const arma::mat& cotangent, arma::vec& gradient) override {
    sdk::vjp_into(net_, x, cotangent, gradient);
  }
  const sdk::Network& network() const override { return net_; }

 private:
  sdk::Network& net_;
};

}  // namespace

TrainResult gradient_descent(sdk::Network& net, const Labelled& train, const TrainOptions& options,
                             const Labelled* test) {
  NetworkModel model(net);
  return run_descent("train.gd()", model, train, options, test);
}

}  // namespace ntk::core::train
