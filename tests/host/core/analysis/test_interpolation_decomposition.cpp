// Eq. 14 decomposition and the Theorem 4 quantities, checked against an explicit linear model
// in feature space: f(x; θ) = ⟨Φ(x), θ⟩ with more features than examples, trained to
// convergence from θ0 by the minimum-norm update (computed by SVD pseudo-inverse, not by the
// kernel route).
#include <catch2/catch.hpp>

#include <armadillo>
#include <cmath>

#include "core/analysis/interpolation_decomposition.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::analysis;

namespace {

double relative_error(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a - b, "fro") / arma::norm(b, "fro");
}

struct FeatureModel {
  arma::mat phi_train;  // n × P
  arma::mat phi_test;   // m × P
  arma::mat theta0;     // P × k (one column per output)
  arma::mat Y, Y_test;  // k × n, k × m
};

FeatureModel make_model(arma::uword n, arma::uword m, arma::uword P, arma::uword k, double scale,
                        unsigned seed) {
  arma::arma_rng::set_seed(seed);
  FeatureModel f;
  f.phi_train = scale * arma::randn(n, P) / std::sqrt(static_cast<double>(P));
  f.phi_test = scale * arma::randn(m, P) / std::sqrt(static_cast<double>(P));
  f.theta0 = arma::randn(P, k);
  f.Y = arma::randn(k, n);
  f.Y_test = arma::randn(k, m);
  return f;
}

DecompositionInputs kernel_inputs(const FeatureModel& f) {
  DecompositionInputs in;
  in.K_train = f.phi_train * f.phi_train.t();
  in.K_train = arma::symmatu(in.K_train);
  in.K_test_train = f.phi_test * f.phi_train.t();
  in.Y = f.Y;
  in.f0_train = (f.phi_train * f.theta0).t();
  in.f0_test = (f.phi_test * f.theta0).t();
  return in;
}

}  // namespace

TEST_CASE("Eq. 14: f_lin = f_int + initialisation term, as in feature space", "[analysis]") {
  const FeatureModel f = make_model(15, 10, 60, 2, 1.0, 51);
  const Decomposition d = interpolation_decomposition(kernel_inputs(f));
  const arma::mat pinv = arma::pinv(f.phi_train);  // P × n, by SVD
  const arma::mat theta_final = f.theta0 + pinv * (f.Y.t() - f.phi_train * f.theta0);
  const arma::mat projector = arma::eye(60, 60) - pinv * f.phi_train;  // onto ker Φ(X)
  CHECK(relative_error(d.linearized, (f.phi_test * theta_final).t()) < 1e-10);
  CHECK(relative_error(d.interpolation, (f.phi_test * pinv * f.Y.t()).t()) < 1e-10);
  CHECK(relative_error(d.initialization, (f.phi_test * projector * f.theta0).t()) < 1e-10);
  CHECK(relative_error(d.linearized, d.interpolation + d.initialization) < 1e-15);
  CHECK(d.method == "cholesky");

  // On the training inputs the initialisation term vanishes and f_lin interpolates.
  DecompositionInputs on_train = kernel_inputs(f);
  on_train.K_test_train = on_train.K_train;
  on_train.f0_test = on_train.f0_train;
  const Decomposition t = interpolation_decomposition(on_train);
  CHECK(arma::norm(t.initialization, "fro") < 1e-10 * arma::norm(on_train.f0_train, "fro"));
  CHECK(relative_error(t.linearized, f.Y) < 1e-10);
}

TEST_CASE("Theorem 4: J, the losses and the lower bound", "[analysis]") {
  const FeatureModel f = make_model(12, 20, 50, 1, 1.0, 52);
  const LowerBound b = lower_bound(kernel_inputs(f), f.Y_test);
  const Decomposition& d = b.decomposition;
  CHECK(b.J_sigma == Approx(arma::norm(d.initialization, "fro") / std::sqrt(20.0)));
  CHECK(b.sqrt_loss_interpolation ==
        Approx(arma::norm(d.interpolation - f.Y_test, "fro") / std::sqrt(20.0)));
  CHECK(b.bound == Approx(std::abs(b.J_sigma - b.sqrt_loss_interpolation)));
  CHECK(b.sqrt_loss_linearized >= b.bound);  // reverse triangle inequality, exact for f_lin
  CHECK(std::isnan(b.J));
  CHECK(std::isnan(lower_bound(kernel_inputs(f), arma::mat()).bound));
}

TEST_CASE("Theorem 4: J(X_test) = J(X_test, σ)/σ^L is independent of σ for homogeneous features",
          "[analysis]") {
  // Features of a bias-free L-layer ReLU net scale as σ^L: Φ(x, σ) = σ^L Φ(x, 1).
  const unsigned L = 2;
  const FeatureModel base = make_model(10, 8, 40, 1, 1.0, 53);
  double J_at_one = 0;
  for (double sigma : {1.0, 2.0, 0.3}) {
    FeatureModel f = base;
    f.phi_train *= std::pow(sigma, L);
    f.phi_test *= std::pow(sigma, L);
    const LowerBound b = lower_bound(kernel_inputs(f), f.Y_test, sigma, L);
    if (sigma == 1.0) J_at_one = b.J;
    CHECK(b.J == Approx(J_at_one).epsilon(1e-9));
    CHECK(b.J_sigma == Approx(std::pow(sigma, L) * J_at_one).epsilon(1e-9));
    // f_int does not depend on σ (the scale cancels in Θ(x,X)Θ⁻¹).
    CHECK(b.sqrt_loss_interpolation == Approx(lower_bound(kernel_inputs(base), base.Y_test)
                                                  .sqrt_loss_interpolation).epsilon(1e-9));
  }
  CHECK_THROWS_AS(lower_bound(kernel_inputs(base), base.Y_test, 1.0, 0), ntk::Error);
}

TEST_CASE("decomposition rejects mismatched shapes", "[analysis]") {
  const FeatureModel f = make_model(6, 4, 20, 1, 1.0, 54);
  DecompositionInputs in = kernel_inputs(f);
  in.f0_test = arma::ones(1, 5);
  CHECK_THROWS_WITH(interpolation_decomposition(in), Catch::Contains("f0_test"));
  in = kernel_inputs(f);
  in.f0_train = arma::ones(2, 6);
  CHECK_THROWS_AS(interpolation_decomposition(in), ntk::Error);
}
