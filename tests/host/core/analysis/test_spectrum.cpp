// Eigenspectrum and label projections on hand-computed and random kernels.
#include <catch2/catch.hpp>

#include <armadillo>
#include <cmath>

#include "core/analysis/spectrum.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::analysis;

TEST_CASE("spectrum of a 2x2 kernel by hand", "[analysis]") {
  // [[2,1],[1,2]]: eigenvalues 3 (v = (1,1)/√2) and 1 (v = (1,-1)/√2).
  const arma::mat K = {{2, 1}, {1, 2}};
  const arma::mat y = {{1, 0}};
  const Spectrum s = spectrum(K, y, true);
  CHECK(s.eigenvalues[0] == Approx(3.0));
  CHECK(s.eigenvalues[1] == Approx(1.0));
  REQUIRE(s.projections.n_rows == 2);
  CHECK(std::abs(s.projections(0, 0)) == Approx(1.0 / std::sqrt(2.0)));
  CHECK(std::abs(s.projections(1, 0)) == Approx(1.0 / std::sqrt(2.0)));
  CHECK(std::abs(s.eigenvectors(0, 0)) == Approx(1.0 / std::sqrt(2.0)));
  CHECK(s.eigenvectors(0, 0) * s.eigenvectors(1, 0) > 0);  // top vector is (1,1)/√2 up to sign
}

TEST_CASE("spectrum: descending, reconstructs K, projections keep the label energy",
          "[analysis]") {
  arma::arma_rng::set_seed(31);
  const arma::mat A = arma::randn(25, 40);
  const arma::mat K = A * A.t();
  const arma::mat Y = arma::randn(3, 25);
  const Spectrum s = spectrum(K, Y, true);
  CHECK(arma::all(arma::diff(s.eigenvalues) <= 0));
  const arma::mat rebuilt = s.eigenvectors * arma::diagmat(s.eigenvalues) * s.eigenvectors.t();
  CHECK(arma::norm(rebuilt - K, "fro") < 1e-10 * arma::norm(K, "fro"));
  CHECK(arma::accu(arma::square(s.projections)) == Approx(arma::accu(arma::square(Y))));
  CHECK(arma::norm(s.projections - s.eigenvectors.t() * Y.t(), "fro") < 1e-12 * arma::norm(Y, "fro"));
  CHECK(spectrum(K, Y).eigenvectors.is_empty());
  CHECK_THROWS_AS(spectrum(K, arma::ones(1, 24)), ntk::Error);
  CHECK_THROWS_AS(spectrum(arma::ones(3, 4), arma::mat()), ntk::Error);
}
