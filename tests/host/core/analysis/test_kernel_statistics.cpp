// Class ratios, alignment and kernel distances on small hand-computed matrices.
#include <catch2/catch.hpp>

#include <armadillo>
#include <cmath>

#include "core/analysis/kernel_statistics.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::analysis;

TEST_CASE("class ratios by hand", "[analysis]") {
  // Classes {0,1} and {2,3}.
  const arma::mat K = {{4.0, 2.0, 1.0, 0.0},
                       {2.0, 6.0, 0.5, 1.5},
                       {1.0, 0.5, 2.0, 3.0},
                       {0.0, 1.5, 3.0, 4.0}};
  const ClassRatios r = class_ratios(K, arma::vec{7, 7, 9, 9});
  CHECK(r.diagonal == Approx(4.0));                      // (4+6+2+4)/4
  CHECK(r.same_class == Approx(2.5));                    // (2+2+3+3)/4
  CHECK(r.different_class == Approx(0.75));              // 2·(1+0+0.5+1.5)/8
  CHECK(r.same_over_diagonal == Approx(2.5 / 4.0));
  CHECK(r.different_over_diagonal == Approx(0.75 / 4.0));
  CHECK(r.same_over_different == Approx(2.5 / 0.75));
  CHECK(std::isnan(class_ratios(K, arma::vec{1, 2, 3, 4}).same_class));
  CHECK_THROWS_AS(class_ratios(K, arma::vec{1, 2}), ntk::Error);
}

TEST_CASE("kernel-target alignment by hand", "[analysis]") {
  const arma::mat y = {{1.0, -1.0}};
  CHECK(alignment(y.t() * y, y) == Approx(1.0));
  // ⟨I, yyᵀ⟩ = 2, ‖I‖ = √2, ‖yyᵀ‖ = 2.
  CHECK(alignment(arma::eye(2, 2), y) == Approx(1.0 / std::sqrt(2.0)));
  // Multi-output: the definition with the n × n matrix YᵀY formed explicitly.
  arma::arma_rng::set_seed(41);
  const arma::mat A = arma::randn(6, 6);
  const arma::mat K = A * A.t();
  const arma::mat Y = arma::randn(3, 6);
  const arma::mat target = Y.t() * Y;
  const double expected =
      arma::accu(K % target) / (arma::norm(K, "fro") * arma::norm(target, "fro"));
  CHECK(alignment(K, Y) == Approx(expected).epsilon(1e-12));
  CHECK_THROWS_AS(alignment(K, arma::ones(1, 5)), ntk::Error);
}

TEST_CASE("kernel distances", "[analysis]") {
  const arma::mat B = {{2.0, 1.0}, {1.0, 3.0}};
  CHECK(kernel_distance(2.5 * B, B) == Approx(0.0).margin(1e-15));
  const arma::mat E1 = {{1.0, 0.0}, {0.0, 0.0}}, E2 = {{0.0, 0.0}, {0.0, 1.0}};
  CHECK(kernel_distance(E1, E2) == Approx(1.0));
  // ‖A − B‖ = ‖0.5·I‖ = √0.5; ‖B‖ = √15.
  CHECK(relative_distance(B + 0.5 * arma::eye(2, 2), B) == Approx(std::sqrt(0.5 / 15.0)));
  CHECK_THROWS_AS(kernel_distance(B, arma::eye(3, 3)), ntk::Error);
}
