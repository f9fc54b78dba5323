// The bound √(2 yᵀH⁻¹y / n): closed form on 2 × 2 kernels, scaling, bad labels.
#include <catch2/catch.hpp>

#include <armadillo>
#include <cmath>

#include "core/analysis/generalization_bound.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::analysis;

TEST_CASE("bound on a 2x2 kernel in closed form", "[analysis]") {
  // H = [[a,b],[b,a]], y = (1,-1): yᵀH⁻¹y = 2/(a−b), bound = √(2/(a−b)).
  for (const auto& [a, b] : {std::pair{1.0, 0.5}, std::pair{3.0, -1.0}, std::pair{2.0, 1.9}}) {
    const arma::mat H = {{a, b}, {b, a}};
    const GeneralizationBound r = generalization_bound(H, arma::vec{1, -1});
    CHECK(r.quadratic_form == Approx(2.0 / (a - b)));
    CHECK(r.bound == Approx(std::sqrt(2.0 / (a - b))));
    // y = (1,1): yᵀH⁻¹y = 2/(a+b).
    CHECK(generalization_bound(H, arma::vec{1, 1}).bound == Approx(std::sqrt(2.0 / (a + b))));
    // Scaled to mean diagonal 1/2: H → H/(2a), the quadratic form is multiplied by 2a.
    const GeneralizationBound scaled =
        generalization_bound(H, arma::vec{1, -1}, BoundNormalization::HalfDiagonal);
    CHECK(scaled.scale == Approx(0.5 / a));
    CHECK(scaled.quadratic_form == Approx(4.0 * a / (a - b)));
  }
}

TEST_CASE("bound rejects labels other than ±1 and mismatched sizes", "[analysis]") {
  const arma::mat H = arma::eye(3, 3);
  CHECK_THROWS_WITH(generalization_bound(H, arma::vec{1, 0, -1}), Catch::Contains("-1 or +1"));
  CHECK_THROWS_AS(generalization_bound(H, arma::vec{1, -1}), ntk::Error);
}
