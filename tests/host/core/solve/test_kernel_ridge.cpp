// Kernel ridge regression / interpolation against Armadillo's general solver, and the fallback.
#include <catch2/catch.hpp>

#include <armadillo>
#include <string>
#include <vector>

#include "core/solve/kernel_ridge.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

namespace {

// The direct truth by LU with partial pivoting (Armadillo would otherwise detect a symmetric
// positive definite matrix and use Cholesky, the solver's own algorithm).
arma::mat lu_solve(const arma::mat& A, const arma::mat& B) {
  return arma::solve(A, B, arma::solve_opts::no_sympd);
}

// A positive definite kernel: Gram matrix of random features plus a small ridge.
arma::mat random_kernel(arma::uword n, arma::uword d, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  const arma::mat A = arma::randn(n, d);
  return A * A.t() / static_cast<double>(d) + 0.01 * arma::eye(n, n);
}

double relative_error(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

RidgeOptions collecting(std::vector<std::string>& sink) {
  RidgeOptions options;
  options.on_warning = [&sink](const std::string& m) { sink.push_back(m); };
  return options;
}

}  // namespace

TEST_CASE("kernel_ridge equals arma::solve for several ridges and outputs", "[solve]") {
  const arma::uword n = 60;
  const arma::mat K = random_kernel(n, 80, 1);
  arma::arma_rng::set_seed(2);
  const arma::mat Y = arma::randn(3, n);  // k = 3 outputs
  for (double ridge : {0.0, 1e-3, 0.1, 10.0}) {
    std::vector<std::string> warnings;
    const RidgeSolution s = kernel_ridge(K, Y, ridge, collecting(warnings));
    const arma::mat direct = lu_solve(K + ridge * arma::eye(n, n), Y.t());
    CHECK(s.method == "cholesky");
    CHECK(s.alpha.n_rows == n);
    CHECK(s.alpha.n_cols == 3);
    CHECK(relative_error(s.alpha, direct) < 1e-10);
    CHECK(warnings.empty());
    // The 1-norm estimate is within a factor n of the exact 2-norm condition number.
    const double exact = arma::cond(K + ridge * arma::eye(n, n));
    CHECK(s.condition_number > exact / n);
    CHECK(s.condition_number < exact * n);
  }
}

TEST_CASE("interpolation reproduces the training targets and predicts", "[solve]") {
  const arma::uword n = 50;
  const arma::mat K = random_kernel(n, 100, 3);
  arma::arma_rng::set_seed(4);
  const arma::mat Y = arma::randn(2, n);
  const RidgeSolution s = interpolate(K, Y);
  const arma::mat fitted = predict(K, s.alpha);
  CHECK(arma::size(fitted) == arma::size(Y));
  CHECK(relative_error(fitted, Y) < 1e-10);
  // predict on other points is K_test · alpha, transposed to k × m.
  const arma::mat K_test = arma::randn(7, n);
  CHECK(relative_error(predict(K_test, s.alpha), (K_test * s.alpha).t()) < 1e-14);
  CHECK_THROWS_AS(predict(arma::randn(7, n + 1), s.alpha), ntk::Error);
}

TEST_CASE("kernel_ridge_in_place restores the caller's kernel exactly", "[solve]") {
  const arma::uword n = 130;  // several 64-blocks, one partial
  arma::mat K = random_kernel(n, 40, 5);
  K = arma::symmatu(K);  // bit-exact symmetry, as a one-triangle kernel has
  const arma::mat original = K;
  arma::arma_rng::set_seed(6);
  const arma::mat Y = arma::randn(1, n);
  const RidgeSolution s = kernel_ridge_in_place(K, Y, 0.5);
  CHECK(arma::all(arma::vectorise(K == original)));
  CHECK(relative_error(s.alpha, lu_solve(original + 0.5 * arma::eye(n, n), Y.t())) < 1e-10);
}

TEST_CASE("a singular kernel falls back to the pseudo-inverse with a warning", "[solve]") {
  // K_ij = 1 when i and j share a class: rank 3, Cholesky meets an exact zero pivot.
  const arma::uword n = 12;
  arma::mat K(n, n);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword j = 0; j < n; ++j) K(i, j) = (i % 3 == j % 3) ? 1.0 : 0.0;
  arma::arma_rng::set_seed(7);
  const arma::mat Y = arma::randn(2, n);
  std::vector<std::string> warnings;
  const RidgeSolution s = interpolate(K, Y, collecting(warnings));
  CHECK(s.method == "eigen_pseudo_inverse");
  CHECK(s.discarded == n - 3);
  CHECK(s.condition_number > 1e12);
  REQUIRE(warnings.size() == 1);
  REQUIRE(s.warnings == warnings);
  CHECK(warnings[0].find("condition number") != std::string::npos);
  CHECK(warnings[0].find("Cholesky") != std::string::npos);
  CHECK(relative_error(s.alpha, arma::pinv(K) * Y.t()) < 1e-10);
}

TEST_CASE("an ill-conditioned but positive definite kernel warns with its condition number",
          "[solve]") {
  const arma::uword n = 10;
  arma::mat hilbert(n, n);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword j = 0; j < n; ++j) hilbert(i, j) = 1.0 / static_cast<double>(i + j + 1);
  std::vector<std::string> warnings;
  const RidgeSolution s = interpolate(hilbert, arma::ones(1, n), collecting(warnings));
  CHECK(s.method == "cholesky");
  const double exact = arma::cond(hilbert);  // about 1.6e13
  CHECK(s.condition_number > exact / n);
  CHECK(s.condition_number < exact * n);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("ill-conditioned") != std::string::npos);
  CHECK(warnings[0].find("condition number") != std::string::npos);
}

TEST_CASE("kernel_ridge rejects malformed input", "[solve]") {
  const arma::mat K = random_kernel(5, 5, 8);
  CHECK_THROWS_AS(kernel_ridge(K, arma::ones(1, 4), 0.0), ntk::Error);   // wrong n
  CHECK_THROWS_AS(kernel_ridge(K, arma::ones(1, 5), -1.0), ntk::Error);  // negative ridge
  CHECK_THROWS_AS(kernel_ridge(arma::ones(5, 4), arma::ones(1, 5), 0.0), ntk::Error);
  arma::mat asymmetric = K;
  asymmetric(0, 1) += 0.1;
  CHECK_THROWS_WITH(kernel_ridge(asymmetric, arma::ones(1, 5), 0.0),
                    Catch::Contains("not symmetric"));
  arma::mat bad = K;
  bad(2, 2) = arma::datum::nan;
  CHECK_THROWS_WITH(kernel_ridge(bad, arma::ones(1, 5), 0.0), Catch::Contains("non-finite"));
  arma::mat bad_y = arma::ones(1, 5);
  bad_y(0, 3) = arma::datum::inf;
  CHECK_THROWS_AS(kernel_ridge(K, bad_y, 0.0), ntk::Error);
}
