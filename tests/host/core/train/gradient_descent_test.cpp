// Gradient descent on networks whose answers are known in closed form.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/train/gradient_descent.hpp"
#include "core/train/learning_rate.hpp"
#include "ntk/sdk/error.hpp"
#include "toy_networks.hpp"

using namespace ntk::core::train;
using ntk::test::gaussian;

namespace {
Labelled make_set(arma::uword d, arma::uword n, arma::uword k, std::uint64_t seed) {
  return Labelled{ntk::sdk::Inputs::dense(gaussian(d, n, seed)), gaussian(k, n, seed + 100)};
}
}  // namespace

TEST_CASE("GD on a linear model reaches the least-squares solution", "[train]") {
  for (arma::uword k : {1u, 3u}) {
    const arma::uword d = 6, n = 40;
    const Labelled train = make_set(d, n, k, 1);
    ntk::test::LinearNetwork net(d, k, 2);
    TrainOptions options;  // lr "auto"
    options.max_steps = 3000;
    options.until_loss = 0.0;  // never reached: the residual of least squares is not 0
    options.record_every = 100;
    const TrainResult result = gradient_descent(net, train, options);
    CHECK(result.status == Status::max_steps);
    CHECK(result.steps == 3000);
    // W* = Y Xᵀ (X Xᵀ)⁻¹.
    const arma::mat& x = train.x.x();
    const arma::mat w_star = train.y * x.t() * arma::inv_sympd(x * x.t());
    CHECK(arma::norm(net.weights() - w_star, "fro") / arma::norm(w_star, "fro") < 1e-10);
    CHECK(arma::approx_equal(result.params, net.params(), "absdiff", 0.0));
    const double best = arma::accu(arma::square(w_star * x - train.y)) / (2.0 * n);
    CHECK(result.train_loss == Approx(best).epsilon(1e-10));
    // History: every 100 steps plus the last, losses non-increasing for a stable step.
    REQUIRE(result.history.size() == 31);
    CHECK(result.history.back().step == 3000);
    for (std::size_t i = 1; i < result.history.size(); ++i)
      CHECK(result.history[i].train_loss <= result.history[i - 1].train_loss * (1 + 1e-12));
    CHECK(std::isnan(result.test_loss));
  }
}

TEST_CASE("the auto learning rate is n/λ_max, below the stability limit 2n/λ_max", "[train]") {
  for (arma::uword k : {1u, 2u}) {
    const arma::uword d = 5, n = 30;
    const Labelled train = make_set(d, n, k, 3);
    ntk::test::TanhNetwork net(d, 64, k, 4);
    // λ_max of the full (n·k)² kernel J Jᵀ, formed here from the Jacobian.
    const arma::mat jac = net.jacobian(train.x);
    const double lambda_max = arma::eig_sym(jac * jac.t()).max();
    CHECK(largest_kernel_eigenvalue(net, train.x) == Approx(lambda_max).epsilon(1e-5));

    TrainOptions options;
    options.until_loss = 1e-4;
    options.max_steps = 20000;
    options.record_every = 1000;
    const TrainResult result = gradient_descent(net, train, options);
    CHECK(result.lr == Approx(double(n) / lambda_max).epsilon(1e-5));
    CHECK(result.lr < 2.0 * double(n) / lambda_max);
    INFO("k = " << k << ": " << result.message);
    CHECK(result.status == Status::converged);
    CHECK(result.objective <= 1e-4);
    WARN(result.message);
    CHECK(result.history.back().step == result.steps);
  }
}

TEST_CASE("an absurd learning rate is reported as diverged, not as NaN", "[train]") {
  const arma::uword d = 4, n = 20;
  const Labelled train = make_set(d, n, 1, 5);
  ntk::test::LinearNetwork net(d, 1, 6);
  TrainOptions options;
  options.lr = 1e4;
  options.max_steps = 1000;
  const TrainResult result = gradient_descent(net, train, options);
  CHECK(result.status == Status::diverged);
  CHECK(result.steps < 1000);
  CHECK(result.message.find("diverged") != std::string::npos);
  // The parameters left behind are finite (the last ones before the blow-up).
  CHECK(net.params().is_finite());
  CHECK(std::isfinite(result.train_loss));
  // Detected at the first step whose objective exceeds 10⁶ × its start; one step back is kept.
  CHECK(result.history.back().objective > 1e6 * result.history.front().objective);
  CHECK(result.objective < 1e6 * result.history.front().objective);
}

TEST_CASE("until_loss stops with status converged; bad options throw", "[train]") {
  const arma::uword d = 8, n = 6;  // over-parametrised: the loss goes to 0
  const Labelled train = make_set(d, n, 1, 7);
  const Labelled test = make_set(d, 10, 1, 8);
  ntk::test::LinearNetwork net(d, 1, 9);
  TrainOptions options;
  options.until_loss = 1e-6;
  const TrainResult result = gradient_descent(net, train, options, &test);
  CHECK(result.status == Status::converged);
  CHECK(result.train_loss <= 1e-6);
  CHECK(result.history.size() == result.steps + 1);
  CHECK(std::isfinite(result.test_loss));
  CHECK(result.test_predictions.n_cols == 10);

  TrainOptions bad;
  bad.lr = -1.0;
  CHECK_THROWS_AS(gradient_descent(net, train, bad), ntk::Error);
  bad = TrainOptions{};
  bad.regularizer = Regularizer::rdi;  // lambda = 0
  CHECK_THROWS_AS(gradient_descent(net, train, bad), ntk::Error);
  const Labelled wrong{train.x, arma::mat(2, n, arma::fill::zeros)};
  CHECK_THROWS_WITH(gradient_descent(net, wrong, TrainOptions{}),
                    Catch::Contains("data.y has 2 rows but the network has 1 outputs"));
}

TEST_CASE("kernel snapshots on a probe set: distance grows from 0 during training", "[train]") {
  const arma::uword d = 3, n = 10;
  const Labelled train = make_set(d, n, 1, 10);
  const ntk::sdk::Inputs probe = ntk::sdk::Inputs::dense(gaussian(d, 5, 11));
  ntk::test::TanhNetwork net(d, 16, 1, 12);  // narrow: the kernel moves
  TrainOptions options;
  options.max_steps = 200;
  options.probe = &probe;
  options.snapshot_every = 50;
  const TrainResult result = gradient_descent(net, train, options);
  REQUIRE(result.kernel.steps == std::vector<arma::uword>{0, 50, 100, 150, 200});
  CHECK(result.kernel.distance_from_init[0] == 0.0);
  CHECK(result.kernel.distance_from_init.back() > 1e-4);
  // The last snapshot is the trained network's NTK.
  CHECK(arma::approx_equal(result.kernel.snapshots.back(), net.ntk(probe, probe), "reldiff",
                           1e-12));
  CHECK(result.kernel.velocity[1] ==
        Approx(kernel_distance(result.kernel.snapshots[0], result.kernel.snapshots[1]) / 50.0));
}
