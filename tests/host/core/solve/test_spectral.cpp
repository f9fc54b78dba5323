// The spectral solver against direct solves: Padé matrix exponential (arma::expmat, no
// eigen-decomposition) and arma::solve, for every λ and t asked.
#include <catch2/catch.hpp>

#include <armadillo>
#include <string>
#include <vector>

#include "core/solve/spectral.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

namespace {

// The direct truth by LU with partial pivoting (Armadillo would otherwise detect a symmetric
// positive definite matrix and use Cholesky, the solver's own algorithm).
arma::mat lu_solve(const arma::mat& A, const arma::mat& B) {
  return arma::solve(A, B, arma::solve_opts::no_sympd);
}

double relative_error(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

struct Problem {
  arma::mat K, K_test, Y, u0, f0_test;
};

// Kernel of random features on train and test points together, so K_test is consistent.
Problem make_problem(arma::uword n, arma::uword m, arma::uword k, arma::uword d, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  const arma::mat features = arma::randn(n + m, d) / std::sqrt(static_cast<double>(d));
  const arma::mat full = features * features.t() + 0.05 * arma::eye(n + m, n + m);
  Problem p;
  p.K = full.submat(0, 0, n - 1, n - 1);
  p.K_test = full.submat(n, 0, n + m - 1, n - 1);
  p.Y = arma::randn(k, n);
  p.u0 = 0.3 * arma::randn(k, n);
  p.f0_test = 0.3 * arma::randn(k, m);
  return p;
}

}  // namespace

TEST_CASE("spectral solver equals the direct solve for every ridge and time", "[solve]") {
  const Problem p = make_problem(40, 9, 2, 60, 11);
  const arma::uword n = 40;
  SpectralOptions options;
  options.u0 = p.u0;
  options.K_test = p.K_test;
  options.f0_test = p.f0_test;
  const SpectralSolver solver(p.K, p.Y, options);
  CHECK(solver.warnings().empty());
  const arma::mat I = arma::eye(n, n);

  const std::vector<double> ridges = {0.0, 1e-4, 0.01, 1.0, 100.0};
  for (double ridge : ridges) {
    const arma::mat alpha = lu_solve(p.K + ridge * I, p.Y.t());
    CHECK(relative_error(solver.ridge_alpha(ridge), alpha) < 1e-8);
    CHECK(relative_error(solver.ridge_train_predictions(ridge), (p.K * alpha).t()) < 1e-8);
    CHECK(relative_error(solver.ridge_test_predictions(ridge), (p.K_test * alpha).t()) < 1e-8);
  }

  const std::vector<double> times = {0.0, 0.01, 0.5, 3.0, 20.0, 200.0};
  for (double t : times) {
    const arma::mat decay = arma::expmat(-t * p.K);  // Padé, scaling and squaring
    const arma::mat u = p.Y + (decay * (p.u0 - p.Y).t()).t();
    const arma::mat f = p.f0_test + (p.K_test * lu_solve(p.K, (I - decay) * (p.Y - p.u0).t())).t();
    CHECK(relative_error(solver.train_predictions(t), u) < 1e-8);
    CHECK(relative_error(solver.test_predictions(t), f) < 1e-8);
    // Direct loss from the residual of Padé's u(t); relative to it, or (at t = 200, where the
    // loss is ~1e-10 of its start and u − y cancels) to 1e-12 of the initial loss.
    const double loss = arma::accu(arma::square(u - p.Y)) / (2.0 * n);
    const double start = arma::accu(arma::square(p.u0 - p.Y)) / (2.0 * n);
    INFO("t = " << t << ", spectral " << solver.loss(t) << ", direct " << loss);
    CHECK(solver.loss(t) == Approx(loss).epsilon(1e-8).margin(1e-12 * start));
    CHECK(solver.residual_norm2(t) == Approx(2.0 * n * loss).epsilon(1e-8).margin(2e-12 * n * start));
  }

  // t = inf: u = y and f_∞ = f0 + K_test K⁻¹(y − u0).
  CHECK(relative_error(solver.train_predictions(arma::datum::inf), p.Y) < 1e-12);
  const arma::mat f_inf = p.f0_test + (p.K_test * lu_solve(p.K, (p.Y - p.u0).t())).t();
  CHECK(relative_error(solver.test_predictions(arma::datum::inf), f_inf) < 1e-8);
  CHECK(solver.loss(arma::datum::inf) == 0.0);

  // Batched forms equal the single queries.
  const arma::vec ts(times), rs(ridges);
  const arma::cube train_many = solver.train_predictions_many(ts);
  const arma::cube test_many = solver.test_predictions_many(ts);
  const arma::vec curve = solver.loss_curve(ts);
  for (arma::uword j = 0; j < ts.n_elem; ++j) {
    CHECK(relative_error(train_many.slice(j), solver.train_predictions(ts[j])) < 1e-12);
    CHECK(relative_error(test_many.slice(j), solver.test_predictions(ts[j])) < 1e-12);
    CHECK(curve[j] == solver.loss(ts[j]));
  }
  const arma::cube ridge_train = solver.ridge_train_predictions_many(rs);
  const arma::cube ridge_test = solver.ridge_test_predictions_many(rs);
  for (arma::uword j = 0; j < rs.n_elem; ++j) {
    CHECK(relative_error(ridge_train.slice(j), solver.ridge_train_predictions(rs[j])) < 1e-12);
    CHECK(relative_error(ridge_test.slice(j), solver.ridge_test_predictions(rs[j])) < 1e-12);
  }
}

TEST_CASE("spectral solver defaults: u0 = 0, f0 = 0; loss decreases monotonically", "[solve]") {
  const Problem p = make_problem(30, 5, 1, 50, 12);
  SpectralOptions options;
  options.K_test = p.K_test;
  const SpectralSolver solver(p.K, p.Y, options);
  // From zero output the converged test prediction is kernel interpolation.
  const arma::mat interpolation = (p.K_test * lu_solve(p.K, p.Y.t())).t();
  CHECK(relative_error(solver.test_predictions(arma::datum::inf), interpolation) < 1e-8);
  CHECK(relative_error(solver.ridge_test_predictions(0.0), interpolation) < 1e-8);
  CHECK(solver.loss(0.0) == Approx(arma::accu(arma::square(p.Y)) / (2.0 * 30)).epsilon(1e-12));
  const arma::vec curve = solver.loss_curve(arma::logspace(-2, 2, 30));
  CHECK(arma::all(arma::diff(curve) < 0));
}

TEST_CASE("spectral solver on a singular kernel uses the pseudo-inverse and warns", "[solve]") {
  arma::arma_rng::set_seed(13);
  const arma::uword n = 20, rank = 6;
  const arma::mat A = arma::randn(n, rank);
  const arma::mat K = A * A.t();
  const arma::mat Y = arma::randn(1, n);
  std::vector<std::string> warnings;
  SpectralOptions options;
  options.on_warning = [&](const std::string& m) { warnings.push_back(m); };
  const SpectralSolver solver(K, Y, options);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("singular") != std::string::npos);
  CHECK(warnings[0].find("condition number") != std::string::npos);
  CHECK(relative_error(solver.ridge_alpha(0.0), arma::pinv(K) * Y.t()) < 1e-6);
  // The residual outside the range of K never decays: the loss tends to ‖P_null y‖²/(2n).
  const arma::mat projector = arma::eye(n, n) - K * arma::pinv(K);
  const double floor = arma::accu(arma::square(projector * Y.t())) / (2.0 * n);
  CHECK(solver.loss(arma::datum::inf) == Approx(floor).epsilon(1e-8));
}

TEST_CASE("spectral solver rejects malformed input", "[solve]") {
  const Problem p = make_problem(8, 3, 1, 10, 14);
  CHECK_THROWS_AS(SpectralSolver(p.K, arma::ones(1, 7)), ntk::Error);
  SpectralOptions bad_u0;
  bad_u0.u0 = arma::ones(2, 8);
  CHECK_THROWS_AS(SpectralSolver(p.K, p.Y, bad_u0), ntk::Error);
  SpectralOptions bad_test;
  bad_test.K_test = arma::ones(3, 7);
  CHECK_THROWS_AS(SpectralSolver(p.K, p.Y, bad_test), ntk::Error);
  const SpectralSolver no_test(p.K, p.Y);
  CHECK_THROWS_WITH(no_test.test_predictions(1.0), Catch::Contains("K_test"));
  CHECK_THROWS_AS(no_test.train_predictions(-1.0), ntk::Error);
  CHECK_THROWS_AS(no_test.ridge_alpha(-0.5), ntk::Error);
}
