// RDI and AUX (Hu et al. 2020): exact limits on a linear model, finite-difference gradients,
// and their effect on fitting noisy labels.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/train/gradient_descent.hpp"
#include "core/train/metrics.hpp"
#include "core/train/regularizer.hpp"
#include "ntk/sdk/error.hpp"
#include "toy_networks.hpp"

using namespace ntk::core::train;
using ntk::test::gaussian;

namespace {
Labelled make_set(arma::uword d, arma::uword n, arma::uword k, std::uint64_t seed) {
  return Labelled{ntk::sdk::Inputs::dense(gaussian(d, n, seed)), gaussian(k, n, seed + 100)};
}
double distance(const arma::vec& a, const arma::vec& b) { return arma::norm(a - b); }
}  // namespace

TEST_CASE("regularizer names parse; unknown names throw with the accepted list", "[train]") {
  CHECK(parse_regularizer("rdi") == Regularizer::rdi);
  CHECK(parse_regularizer("aux") == Regularizer::aux);
  CHECK(parse_regularizer("none") == Regularizer::none);
  CHECK_THROWS_WITH(parse_regularizer("l2"), Catch::Contains("\"none\", \"rdi\" or \"aux\""));
}

TEST_CASE("RDI on a linear model converges to ridge regression with ridge n·λ", "[train]") {
  const arma::uword d = 6, n = 15, k = 2;
  const double lambda = 0.3;
  const Labelled train = make_set(d, n, k, 21);
  const Labelled test = make_set(d, 7, k, 22);
  ntk::test::LinearNetwork net(d, k, 23);
  const arma::mat w0 = net.weights();
  TrainOptions options;
  options.regularizer = Regularizer::rdi;
  options.lambda = lambda;
  options.max_steps = 4000;
  options.record_every = 4000;
  const TrainResult result = gradient_descent(net, train, options, &test);
  // Stationary point of 1/(2n)‖WX − Y‖² + λ/2‖W − W0‖²: W = (Y Xᵀ + nλ W0)(X Xᵀ + nλ I)⁻¹.
  const arma::mat& x = train.x.x();
  const arma::mat w_star = (train.y * x.t() + n * lambda * w0) *
                           arma::inv_sympd(x * x.t() + n * lambda * arma::eye(d, d));
  CHECK(arma::norm(net.weights() - w_star, "fro") / arma::norm(w_star, "fro") < 1e-10);
  // Kernel form: f(x) = f0(x) + Θ(x,X)(Θ + nλI)⁻¹(y − f0(X)), Θ = xᵀx per output.
  const arma::mat& xt = test.x.x();
  const arma::mat alpha = (train.y - w0 * x) * arma::inv_sympd(x.t() * x + n * lambda * arma::eye(n, n));
  const arma::mat expected = w0 * xt + alpha * (x.t() * xt);
  CHECK(arma::norm(result.test_predictions - expected, "fro") / arma::norm(expected, "fro") < 1e-9);
}

TEST_CASE("RDI pulls the parameters toward initialisation; huge λ keeps them there", "[train]") {
  const arma::uword d = 4, n = 20;
  const Labelled train = make_set(d, n, 1, 31);
  TrainOptions options;
  options.max_steps = 500;
  options.record_every = 500;
  ntk::test::TanhNetwork plain(d, 32, 1, 32);
  const arma::vec w0 = plain.params();
  gradient_descent(plain, train, options);
  const double moved_plain = distance(plain.params(), w0);

  options.regularizer = Regularizer::rdi;
  options.lambda = 0.05;
  ntk::test::TanhNetwork rdi(d, 32, 1, 32);
  gradient_descent(rdi, train, options);
  const double moved_rdi = distance(rdi.params(), w0);
  CHECK(moved_rdi < 0.8 * moved_plain);

  options.lambda = 1e8;
  ntk::test::TanhNetwork stuck(d, 32, 1, 32);
  gradient_descent(stuck, train, options);
  CHECK(distance(stuck.params(), w0) < 1e-6 * moved_plain);
  INFO("moved: plain " << moved_plain << ", rdi(0.05) " << moved_rdi);
}

TEST_CASE("AUX: one step equals minus lr times finite-difference gradients in w and b", "[train]") {
  const arma::uword d = 3, n = 6, k = 2;
  const double lambda = 0.7, lr = 0.05, h = 1e-6;
  const Labelled train = make_set(d, n, k, 41);
  ntk::test::TanhNetwork net(d, 8, k, 42);
  const arma::vec w0 = net.params();
  // The AUX objective written independently: 1/(2n) ‖f(w) + √λ b − y‖².
  auto objective = [&](const arma::vec& w, const arma::mat& b) {
    ntk::test::TanhNetwork copy = net;
    copy.set_params(w);
    return arma::accu(arma::square(copy.forward(train.x) + std::sqrt(lambda) * b - train.y)) /
           (2.0 * n);
  };
  const arma::mat b0(k, n, arma::fill::zeros);
  arma::vec grad_w(w0.n_elem);
  for (arma::uword i = 0; i < w0.n_elem; ++i) {
    arma::vec up = w0, down = w0;
    up(i) += h;
    down(i) -= h;
    grad_w(i) = (objective(up, b0) - objective(down, b0)) / (2 * h);
  }
  arma::mat grad_b(k, n);
  for (arma::uword i = 0; i < b0.n_elem; ++i) {
    arma::mat up = b0, down = b0;
    up(i) += h;
    down(i) -= h;
    grad_b(i) = (objective(w0, up) - objective(w0, down)) / (2 * h);
  }
  TrainOptions options;
  options.regularizer = Regularizer::aux;
  options.lambda = lambda;
  options.lr = lr;
  options.max_steps = 1;
  const TrainResult result = gradient_descent(net, train, options);
  REQUIRE(result.aux.n_rows == k);
  REQUIRE(result.aux.n_cols == n);
  CHECK(arma::norm((w0 - result.params) / lr - grad_w) / arma::norm(grad_w) < 1e-7);
  CHECK(arma::norm(-result.aux / lr - grad_b, "fro") / arma::norm(grad_b, "fro") < 1e-7);
}

TEST_CASE("AUX on a linear model converges to ridge regression with ridge λ", "[train]") {
  const arma::uword d = 10, n = 8;
  const double lambda = 2.0;
  const Labelled train = make_set(d, n, 1, 51);
  const Labelled test = make_set(d, 5, 1, 52);
  ntk::test::LinearNetwork net(d, 1, 53);
  const arma::mat w0 = net.weights();
  TrainOptions options;
  options.regularizer = Regularizer::aux;
  options.lambda = lambda;
  options.max_steps = 5000;
  options.record_every = 5000;
  const TrainResult result = gradient_descent(net, train, options, &test);
  const arma::mat& x = train.x.x();
  const arma::mat& xt = test.x.x();
  // The joint model (w, b) has kernel Θ + λI; GD reaches f = f0 + Θ(x,X)(Θ + λI)⁻¹(y − f0(X)).
  const arma::mat alpha = (train.y - w0 * x) * arma::inv_sympd(x.t() * x + lambda * arma::eye(n, n));
  const arma::mat expected = w0 * xt + alpha * (x.t() * xt);
  CHECK(arma::norm(result.test_predictions - expected, "fro") / arma::norm(expected, "fro") < 1e-9);
  CHECK(arma::norm(result.aux - std::sqrt(lambda) * alpha, "fro") / arma::norm(alpha, "fro") < 1e-8);
}

TEST_CASE("with AUX or RDI the network fits noisy labels less than plain GD", "[train]") {
  const arma::uword d = 5, n = 40;
  const arma::mat x = gaussian(d, n, 61);
  arma::mat clean = arma::sign(x.row(0) + 0.5 * x.row(1));
  arma::mat noisy = clean;
  for (arma::uword i = 0; i < n; i += 5) noisy(0, i) = -noisy(0, i);  // 20% flipped
  const Labelled train{ntk::sdk::Inputs::dense(x), noisy};
  auto flipped_fitted = [&](const arma::mat& f) {
    int count = 0;
    for (arma::uword i = 0; i < n; i += 5) count += f(0, i) * noisy(0, i) > 0;
    return count;
  };
  TrainOptions options;
  options.max_steps = 1500;
  options.record_every = 1500;
  ntk::test::TanhNetwork plain(d, 128, 1, 62);
  const TrainResult r_plain = gradient_descent(plain, train, options);

  options.regularizer = Regularizer::aux;
  options.lambda = 1.0;
  ntk::test::TanhNetwork aux(d, 128, 1, 62);
  const TrainResult r_aux = gradient_descent(aux, train, options);

  options.regularizer = Regularizer::rdi;
  options.lambda = 1.0 / n;  // the same ridge as AUX with λ = 1 (ridge nλ)
  ntk::test::TanhNetwork rdi(d, 128, 1, 62);
  const TrainResult r_rdi = gradient_descent(rdi, train, options);

  INFO("noisy-label train loss: plain " << r_plain.train_loss << ", aux " << r_aux.train_loss
                                        << ", rdi " << r_rdi.train_loss);
  INFO("flipped labels fitted (of 8): plain " << flipped_fitted(r_plain.train_predictions)
                                              << ", aux " << flipped_fitted(r_aux.train_predictions)
                                              << ", rdi " << flipped_fitted(r_rdi.train_predictions));
  CHECK(r_aux.status == Status::max_steps);  // the "auto" step accounts for the regulariser
  CHECK(r_rdi.status == Status::max_steps);
  CHECK(r_aux.train_loss > 2 * r_plain.train_loss);
  CHECK(r_rdi.train_loss > 2 * r_plain.train_loss);
  CHECK(flipped_fitted(r_aux.train_predictions) < flipped_fitted(r_plain.train_predictions));
  CHECK(flipped_fitted(r_rdi.train_predictions) < flipped_fitted(r_plain.train_predictions));
  CHECK(accuracy(r_aux.train_predictions, clean) > accuracy(r_plain.train_predictions, clean));
}
