// Linearised training: GD on f_lin against its closed form, the closed form against direct
// matrix powers/exponentials, and the linear model where linearised training is exact.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/train/gradient_descent.hpp"
#include "core/train/learning_rate.hpp"
#include "core/train/linearized.hpp"
#include "ntk/sdk/error.hpp"
#include "toy_networks.hpp"

using namespace ntk::core::train;
using ntk::test::gaussian;

namespace {
Labelled make_set(arma::uword d, arma::uword n, arma::uword k, std::uint64_t seed) {
  return Labelled{ntk::sdk::Inputs::dense(gaussian(d, n, seed)), gaussian(k, n, seed + 100)};
}
double relative(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}
}  // namespace

TEST_CASE("GD on the linearised model equals its closed form after the same steps", "[train]") {
  for (arma::uword k : {1u, 2u}) {
    const arma::uword d = 4, n = 12, steps = 400;
    const Labelled train = make_set(d, n, k, 71);
    const Labelled test = make_set(d, 9, k, 72);
    ntk::test::TanhNetwork net(d, 24, k, 73);
    // Move away from initialisation first: the checkpoint w* is arbitrary.
    TrainOptions warmup;
    warmup.max_steps = 50;
    gradient_descent(net, train, warmup);
    const arma::vec checkpoint = net.params();

    TrainOptions options;  // lr "auto"
    options.max_steps = steps;
    options.record_every = 100;
    const TrainResult gd = linearized_gd(net, train, options, &test);
    CHECK(arma::approx_equal(net.params(), checkpoint, "absdiff", 0.0));  // net untouched

    ClosedFormOptions closed;
    closed.steps = steps;
    const ClosedFormResult exact = linearized_closed_form(net, train, closed, &test.x);
    CHECK(exact.lr == Approx(gd.lr).epsilon(1e-6));
    closed.lr = gd.lr;  // identical step for the comparison
    const ClosedFormResult same = linearized_closed_form(net, train, closed, &test.x);
    INFO("k = " << k);
    CHECK(relative(gd.train_predictions, same.train_predictions) < 1e-8);
    CHECK(relative(gd.test_predictions, same.test_predictions) < 1e-8);
    CHECK(same.train_loss == Approx(gd.train_loss).epsilon(1e-7));
  }
}

TEST_CASE("closed form equals (I − ηΘ/n)^s and e^{−ηtΘ/n} computed directly", "[train]") {
  const arma::uword d = 3, n = 10;
  const Labelled train = make_set(d, n, 1, 81);
  ntk::test::TanhNetwork net(d, 16, 1, 82);
  const arma::mat theta = net.ntk(train.x, train.x);
  const arma::mat u0 = net.forward(train.x);
  const double lr = 0.7 * n / arma::eig_sym(theta).max();
  const arma::mat identity = arma::eye(n, n);

  ClosedFormOptions discrete;
  discrete.lr = lr;
  discrete.steps = 37;
  const arma::mat step_matrix = identity - lr * theta / n;
  const arma::vec expected = train.y.t() + arma::powmat(step_matrix, 37) * (u0 - train.y).t();
  CHECK(relative(linearized_closed_form(net, train, discrete).train_predictions.t(), expected) < 1e-10);

  ClosedFormOptions flow;
  flow.lr = lr;
  flow.time = 12.5;
  const arma::mat decay = arma::expmat_sym(arma::mat(-lr * 12.5 * theta / n));
  const arma::vec expected_flow = train.y.t() + decay * (u0 - train.y).t();
  CHECK(relative(linearized_closed_form(net, train, flow).train_predictions.t(), expected_flow) < 1e-10);

  // The test extension through Θ(x,X)Θ⁻¹ on the training inputs reproduces the train values.
  const ClosedFormResult self = linearized_closed_form(net, train, flow, &train.x);
  CHECK(relative(self.test_predictions, self.train_predictions) < 1e-8);

  ClosedFormOptions both = flow;
  both.steps = 3;
  CHECK_THROWS_AS(linearized_closed_form(net, train, both), ntk::Error);
}

TEST_CASE("on a linear model the linearised trainer and the network trainer agree", "[train]") {
  const arma::uword d = 7, n = 5, k = 2;  // over-parametrised: singular Θ in the closed form
  const Labelled train = make_set(d, n, k, 91);
  const Labelled test = make_set(d, 4, k, 92);
  ntk::test::LinearNetwork net(d, k, 93);
  const double lr = 0.9 * n / largest_kernel_eigenvalue(net, train.x);
  TrainOptions options;
  options.lr = lr;
  options.max_steps = 300;
  const TrainResult lin = linearized_gd(net, train, options, &test, /*update_network=*/true);
  CHECK(lin.status == Status::max_steps);
  CHECK(arma::approx_equal(net.params(), lin.params, "absdiff", 0.0));

  ntk::test::LinearNetwork fresh(d, k, 93);
  const TrainResult exact = gradient_descent(fresh, train, options, &test);
  CHECK(relative(lin.params, exact.params) < 1e-12);
  CHECK(relative(lin.test_predictions, exact.test_predictions) < 1e-12);

  ClosedFormOptions closed;
  closed.lr = lr;
  closed.steps = 300;
  ntk::test::LinearNetwork start(d, k, 93);
  const ClosedFormResult form = linearized_closed_form(start, train, closed, &test.x);
  CHECK(relative(form.test_predictions, exact.test_predictions) < 1e-9);
}
