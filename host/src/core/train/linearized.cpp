#include "core/train/linearized.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/train/descent.hpp"
#include "core/train/learning_rate.hpp"
#include "core/train/metrics.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

namespace {

// f_lin(x; w) = f(x; w*) + J(x; w*)(w − w*). The network stays at w*; f(x; w*) is cached per
// input set (the trainer asks for the same training and test sets at every step).
class LinearizedModel final : public DescentModel {
 public:
  // The first forward comes before params(): some plugins draw parameters at the first input.
  LinearizedModel(const sdk::Network& net, const sdk::Inputs& train)
      : net_(net), f0_{{&train, net.forward(train)}}, center_(net.params()), w_(center_) {}
  const arma::vec& params() const override { return w_; }
  void set_params(const arma::vec& params) override { w_ = params; }
  arma::mat predict(const sdk::Inputs& x) override {
    auto it = f0_.find(&x);
    if (it == f0_.end()) it = f0_.emplace(&x, net_.forward(x)).first;
    step_ = w_ - center_;  // into the kept buffer: no P-sized allocation per step
    return it->second + net_.jvp(x, step_);
  }
  arma::vec vjp(const sdk::Inputs& x, const arma::mat& cotangent) override {
    return net_.vjp(x, cotangent);
  }
  const sdk::Network& network() const override { return net_; }

 private:
  const sdk::Network& net_;
  std::map<const sdk::Inputs*, arma::mat> f0_;
  const arma::vec center_;
  arma::vec w_, step_;
};

// Spectral filters of the closed form, per eigenvalue λ of Θ, with a = η/n:
//   decay  (1 − aλ)^s              or e^{−aλt}   (flow)
//   gain   (1 − decay)/λ = a Σ_{j<s}(1 − aλ)^j or (1 − e^{−aλt})/λ, → a·s (a·t) at λ = 0.
// expm1/log1p keep full precision when aλ is tiny.
double discrete_gain(double lambda, double a, double s) {
  const double x = a * lambda;
  if (x == 0) return a * s;
  if (x < 1) return -std::expm1(s * std::log1p(-x)) / lambda;
  return (1.0 - std::pow(1.0 - x, s)) / lambda;
}
double discrete_decay(double lambda, double a, double s) {
  const double x = a * lambda;
  if (x < 1) return std::exp(s * std::log1p(-x));
  return std::pow(1.0 - x, s);
}
double flow_gain(double lambda, double a, double t) {
  const double x = a * lambda;
  if (x == 0) return a * t;
  return -std::expm1(-x * t) / lambda;
}

// Growth of the loss over its reference that counts as divergence (as descent.cpp).
constexpr double kBlowUp = 1e6;

// Sets result.status/message to "diverged" when the train loss is not finite or blew up,
// naming the first non-finite quantity in the order they are computed.
void report_divergence(const char* where, const ClosedFormOptions& options,
                       const Labelled& train, const arma::mat& u0, const arma::vec& gain,
                       const arma::vec& decay, ClosedFormResult& result) {
  const double nn = double(train.size());
  const double initial = squared_loss(u0, train.y);
  const double reference =
      std::max({initial, arma::accu(arma::square(train.y)) / (2.0 * nn), 1e-300});
  const double loss = result.train_loss;
  if (std::isfinite(loss) && loss <= kBlowUp * reference && result.test_predictions.is_finite())
    return;
  const arma::vec& lambda = result.eigenvalues;
  std::ostringstream first;
  auto first_bad = [](const arma::vec& v) {
    for (arma::uword i = 0; i < v.n_elem; ++i)
      if (!std::isfinite(v(i))) return i;
    return v.n_elem;
  };
  const char* power = options.steps ? "(1 - lr·λ/n)^steps" : "exp(-lr·time·λ/n)";
  if (const arma::uword i = first_bad(decay); i < decay.n_elem)
    first << "the decay " << power << " = " << decay(i) << " of eigenvalue λ = " << lambda(i);
  else if (const arma::uword g = first_bad(gain); g < gain.n_elem)
    first << "the gain (1 - decay)/λ = " << gain(g) << " of eigenvalue λ = " << lambda(g);
  else if (!result.train_predictions.is_finite())
    first << "the train predictions";
  else if (!std::isfinite(loss))
    first << "the train loss (" << loss << ")";
  else if (!result.test_predictions.is_finite())
    first << "the test predictions";
  else
    first << "none (the train loss " << loss << " is over " << kBlowUp << " times its reference "
          << reference << ")";
  std::ostringstream message;
  message << where << ": diverged after ";
  if (options.steps) message << *options.steps << " steps";
  else message << "time " << *options.time;
  message << " (train loss " << loss << ", initial " << initial << ", lr " << result.lr
          << "); first non-finite quantity: " << first.str();
  if (lambda.n_elem > 0 && lambda.max() > 0)
    message << "; gradient descent is stable for lr < 2n/λ_max = " << 2 * nn / lambda.max()
            << "; try a smaller lr or lr = \"auto\"";
  result.status = "diverged";
  result.message = message.str();
}

}  // namespace

TrainResult linearized_gd(sdk::Network& net, const Labelled& train, const TrainOptions& options,
                          const Labelled* test, bool update_network) {
  check_labelled("train.linearized()", "data", train, net);
  LinearizedModel model(net, train.x);
  TrainResult result = run_descent("train.linearized()", model, train, options, test);
  if (update_network) net.set_params(result.params);
  return result;
}

ClosedFormResult linearized_closed_form(const sdk::Network& net, const Labelled& train,
                                        const ClosedFormOptions& options,
                                        const sdk::Inputs* test) {
  const char* where = "train.linearized_closed_form()";
  check_labelled(where, "data", train, net);
  if (options.steps.has_value() == options.time.has_value())
    throw_error(where, ": give exactly one of steps (gradient descent) and time (gradient flow)");
  if (options.time && !(*options.time >= 0 && std::isfinite(*options.time)))
    throw_error(where, ": time = ", *options.time, " must be a finite number >= 0");
  if (options.lr && !(*options.lr > 0 && std::isfinite(*options.lr)))
    throw_error(where, ": lr = ", *options.lr, " must be a positive number or \"auto\"");
  if (test && test->size() == 0) throw_error(where, ": test has no examples");

  const arma::uword n = train.size(), k = net.outputs();
  const arma::mat theta = checked_training_kernel(where, net, train.x);
  arma::mat vectors;
  arma::vec eigenvalues = kernel_eigenvalues(where, theta, &vectors);

  ClosedFormResult result;
  result.lr = options.lr ? *options.lr
                         : stable_learning_rate(eigenvalues.max(), n, Regularizer::none, 0.0,
                                                options.auto_fraction);
  const double a = result.lr / double(n);

  const arma::mat u0 = net.forward(train.x);
  const arma::vec residual0 = arma::vectorise(train.y - u0);  // y − u0
  const arma::vec coefficients = vectors.t() * residual0;
  arma::vec gain(eigenvalues.n_elem), decay(eigenvalues.n_elem);
  for (arma::uword i = 0; i < eigenvalues.n_elem; ++i) {
    const double lambda = eigenvalues(i);
    if (options.steps) {
      const double s = double(*options.steps);
      gain(i) = discrete_gain(lambda, a, s);
      decay(i) = discrete_decay(lambda, a, s);
    } else {
      gain(i) = flow_gain(lambda, a, *options.time);
      decay(i) = std::exp(-a * lambda * *options.time);
    }
  }
  // u = y − V diag(decay) Vᵀ (y − u0).
  const arma::vec u = arma::vectorise(train.y) - vectors * (decay % coefficients);
  result.train_predictions = arma::reshape(u, k, n);
  result.train_loss = squared_loss(result.train_predictions, train.y);
  if (test) {
    // f(x) = f0(x) + Θ(x, X) V diag(gain) Vᵀ (y − u0).
    const arma::vec alpha = vectors * (gain % coefficients);
    const arma::vec shift = cross_kernel(net, *test, train.x) * alpha;
    result.test_predictions = net.forward(*test) + arma::reshape(shift, k, test->size());
  }
  result.eigenvalues = std::move(eigenvalues);
  report_divergence(where, options, train, u0, gain, decay, result);
  return result;
}

}  // namespace ntk::core::train
