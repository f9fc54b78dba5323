// QuadratureActivation's kernel map (the Mehler series, activation.hpp) against its own 2-D
// Gauss–Hermite rule at 400 nodes per axis, and against closed forms given as quadrature.
#include <catch2/catch.hpp>

#include <cmath>

#include "ntk/sdk/activation.hpp"

using namespace ntk::sdk;

namespace {

double max_error(const QuadratureActivation& act, const QuadratureActivation& reference) {
  double worst = 0;
  for (double s11 : {0.05, 0.5, 2.0, 6.0})
    for (double s22 : {0.3, 2.0})
      for (double rho : {-1.0, -0.9, -0.3, 0.0, 0.5, 0.95, 1.0}) {
        const double s12 = rho * std::sqrt(s11 * s22);
        const GaussianExpectations fast = act.series_expectations(s11, s12, s22);
        const GaussianExpectations exact = reference.expectations(s11, s12, s22);
        // Relative to the Cauchy–Schwarz scale of each expectation.
        const GaussianExpectations d1 = reference.expectations(s11, s11, s11);
        const GaussianExpectations d2 = reference.expectations(s22, s22, s22);
        worst = std::max(worst, std::abs(fast.phi - exact.phi) / std::sqrt(d1.phi * d2.phi));
        worst = std::max(worst, std::abs(fast.dphi - exact.dphi) / std::sqrt(d1.dphi * d2.dphi));
      }
  return worst;
}

}  // namespace

TEST_CASE("the Mehler series of quadrature activations agrees with the 2-D rule", "[activations]") {
  for (const char* name : {"tanh", "sigmoid", "softplus"}) {
    const auto act = std::dynamic_pointer_cast<const QuadratureActivation>(make_activation(name));
    REQUIRE(act);
    const auto reference = std::dynamic_pointer_cast<const QuadratureActivation>(
        make_activation(name, {{"deg", 400.0}}));
    const double err = max_error(*act, *reference);
    INFO(name << ": max error " << err);
    CHECK(err < 1e-6);  // measured: tanh 2e-7 (φ' at variance 6), sigmoid, softplus smaller
  }
  // A smooth closed form through quadrature: gelu (exact values from the catalog's closed form).
  const auto gelu = make_activation("gelu");
  const QuadratureActivation numeric("gelu", [&](double z) { return gelu->value(z); },
                                     [&](double z) { return gelu->derivative(z); });
  for (double rho : {-1.0, -0.5, 0.2, 0.99, 1.0}) {
    const GaussianExpectations e = gelu->expectations(1.5, rho * 1.5, 1.5);
    const GaussianExpectations f = numeric.series_expectations(1.5, rho * 1.5, 1.5);
    CHECK(std::abs(f.phi - e.phi) < 1e-9);
    CHECK(std::abs(f.dphi - e.dphi) < 1e-9);
  }
}

TEST_CASE("entries() of a quadrature activation is the series, with the NTK factor", "[activations]") {
  const auto act = std::dynamic_pointer_cast<const QuadratureActivation>(make_activation("tanh"));
  double nngp[3] = {0.3, -0.2, 1.0}, ntk[3] = {2.0, 1.0, 0.5};
  const double var1[3] = {1.0, 0.5, 1.2}, var2[3] = {0.8, 0.8, 0.8};
  const double in_nngp[3] = {0.3, -0.2, 1.0}, in_ntk[3] = {2.0, 1.0, 0.5};
  act->entries(nngp, ntk, var1, var2, 3);
  for (int i = 0; i < 3; ++i) {
    const GaussianExpectations e = act->series_expectations(var1[i], in_nngp[i], var2[i]);
    CHECK(nngp[i] == Approx(e.phi).epsilon(1e-14));
    CHECK(ntk[i] == Approx(in_ntk[i] * e.dphi).epsilon(1e-14));
  }
}
