// Gaussian and polynomial kernels (core/solve/classic_kernels.hpp) against entry-by-entry loops
// over the definitions, in both the symmetric (one triangle) and the general path.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/solve/classic_kernels.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::solve;

TEST_CASE("classic kernels match their definitions", "[solve][classic_kernels]") {
  arma::arma_rng::set_seed(3);
  const arma::mat a = arma::randn(5, 7), b = arma::randn(5, 4);
  for (bool symmetric : {true, false}) {
    const arma::mat& right = symmetric ? a : b;
    const arma::mat d2 = squared_distances(a, right);
    const arma::mat g = gaussian_kernel(d2, 0.3);
    const arma::mat p = polynomial_kernel(a, right, 3, 0.2, 1.5);
    REQUIRE(d2.n_rows == a.n_cols);
    REQUIRE(d2.n_cols == right.n_cols);
    for (arma::uword j = 0; j < right.n_cols; ++j)
      for (arma::uword i = 0; i < a.n_cols; ++i) {
        const double dist = arma::accu(arma::square(a.col(i) - right.col(j)));
        CHECK(d2(i, j) == Approx(dist).margin(1e-12));
        CHECK(g(i, j) == Approx(std::exp(-0.3 * dist)).epsilon(1e-12));
        CHECK(p(i, j) == Approx(std::pow(0.2 * arma::dot(a.col(i), right.col(j)) + 1.5, 3))
                             .epsilon(1e-12));
      }
    if (symmetric) {
      CHECK(arma::all(d2.diag() == 0));
      CHECK(g.is_symmetric());
    }
  }
}

TEST_CASE("classic kernels refuse bad parameters", "[solve][classic_kernels]") {
  const arma::mat a(3, 4, arma::fill::ones), c(2, 4, arma::fill::ones);
  CHECK_THROWS_WITH(squared_distances(a, c), Catch::Contains("3 and 2 rows"));
  CHECK_THROWS_WITH(gaussian_kernel(squared_distances(a, a), 0.0), Catch::Contains("gamma"));
  CHECK_THROWS_WITH(polynomial_kernel(a, a, 0, 1, 0), Catch::Contains("degree"));
  arma::mat bad = a;
  bad(0, 0) = arma::datum::nan;
  CHECK_THROWS(squared_distances(bad, bad));
}
