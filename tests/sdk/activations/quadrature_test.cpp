// Gauss–Hermite nodes and weights, and QuadratureActivation against the independent 2-D rule of
// tests/sdk/layers/gaussian_quadrature.hpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <limits>

#include "../layers/gaussian_quadrature.hpp"
#include "activation_cases.hpp"
#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"

using ntk::test::relative_error;

TEST_CASE("gauss_hermite_normal integrates Gaussian moments exactly", "[activations]") {
  // Known 5-point rule: nodes 0, ±√(5 ∓ √10), centre weight 8/15.
  std::vector<double> x, w;
  ntk::sdk::gauss_hermite_normal(5, x, w);
  REQUIRE(x.size() == 5);
  CHECK(x[2] == 0.0);
  CHECK(x[3] == Approx(std::sqrt(5 - std::sqrt(10.0))).epsilon(1e-15));
  CHECK(x[4] == Approx(std::sqrt(5 + std::sqrt(10.0))).epsilon(1e-15));
  CHECK(w[2] == Approx(8.0 / 15).epsilon(1e-15));

  double worst = 0;
  for (int degree : {1, 2, 7, 64, 200, 400}) {
    ntk::sdk::gauss_hermite_normal(degree, x, w);
    REQUIRE(int(x.size()) == degree);
    for (int i = 0; i + 1 < degree; ++i) CHECK(x[i] < x[i + 1]);
    for (int i = 0; i < degree; ++i) CHECK(x[i] == -x[degree - 1 - i]);
    // E[z^{2k}] = (2k − 1)!! exactly for 2k ≤ 2·degree − 1, checked up to k = 30.
    double double_factorial = 1;
    for (int k = 0; 2 * k < 2 * degree && k <= 30; ++k) {
      if (k > 0) double_factorial *= 2 * k - 1;
      long double sum = 0;
      for (int i = 0; i < degree; ++i) sum += w[i] * std::pow((long double)x[i], 2 * k);
      const double e = std::fabs(double(sum) / double_factorial - 1);
      INFO("degree " << degree << " E[z^" << 2 * k << "]: " << double(sum) << " vs "
                     << double_factorial);
      CHECK(e < 1e-12);
      worst = std::max(worst, e);
    }
    // A non-polynomial with a known mean: E[cos z] = e^{−1/2}.
    if (degree >= 64) {
      long double sum = 0;
      for (int i = 0; i < degree; ++i) sum += w[i] * std::cos(x[i]);
      CHECK(double(sum) == Approx(std::exp(-0.5)).epsilon(1e-14));
    }
  }
  std::printf("gauss_hermite_normal: worst relative moment error %.1e (degrees up to 400)\n",
              worst);
  CHECK_THROWS_AS(ntk::sdk::gauss_hermite_normal(0, x, w), ntk::Error);
  CHECK_THROWS_AS(ntk::sdk::gauss_hermite_normal(401, x, w), ntk::Error);
}

TEST_CASE("QuadratureActivation equals the independent 2-D rule for smooth φ", "[activations]") {
  // The shipped quadrature activations and two more with growing φ.
  // tanh has poles at ±iπ/2, so Gauss–Hermite converges slowly at large variance (the default
  // 64 nodes give ~4e-6 at variance 2, checked in the next test); 400 nodes here.
  std::vector<ntk::sdk::ActivationPtr> acts = {
      ntk::sdk::make_activation("tanh", {{"deg", 400.0}}), ntk::sdk::make_activation("sigmoid"),
      ntk::sdk::make_activation("softplus"),
      ntk::sdk::numerical_activation(
          "Cosh", [](double z) { return std::cosh(z); }, [](double z) { return std::sinh(z); }),
      ntk::sdk::numerical_activation(
          "Cubic", [](double z) { return z * z * z - z; },
          [](double z) { return 3 * z * z - 1; }, 4)};  // exact: degree 6 < 2·4
  double worst = 0;
  for (const auto& act : acts) {
    const auto f = [&](double z) { return act->value(z); };
    const auto df = [&](double z) { return act->derivative(z); };
    double case_worst = 0;
    for (const auto& cov : ntk::test::covariance_grid()) {
      const auto e = act->expectations(cov.s11, cov.s12(), cov.s22);
      const double t_phi = ntk::test::gaussian_expectation(f, f, cov.s11, cov.s22, cov.rho);
      const double t_dphi = ntk::test::gaussian_expectation(df, df, cov.s11, cov.s22, cov.rho);
      // Floors: 1e-3 of the Cauchy–Schwarz bound, for the values that vanish.
      const double floor_phi = 1e-3 * std::sqrt(act->variance(cov.s11) * act->variance(cov.s22));
      const double floor_dphi =
          1e-3 * std::sqrt(ntk::test::gaussian_expectation(df, df, cov.s11, cov.s11, 1) *
                           ntk::test::gaussian_expectation(df, df, cov.s22, cov.s22, 1));
      INFO(act->name() << " s11=" << cov.s11 << " s22=" << cov.s22 << " rho=" << cov.rho << ": "
                       << e.phi << " vs " << t_phi << ", " << e.dphi << " vs " << t_dphi);
      const double e1 = relative_error(e.phi, t_phi, floor_phi);
      const double e2 = relative_error(e.dphi, t_dphi, floor_dphi);
      CHECK(e1 < 1e-10);
      CHECK(e2 < 1e-10);
      case_worst = std::max({case_worst, e1, e2});
    }
    for (double s : {0.25, 2.0}) {
      const double truth = ntk::test::gaussian_expectation(f, f, s, s, 1.0);
      CHECK(relative_error(act->variance(s), truth, 1e-12) < 1e-10);
      // variance() is the diagonal of expectations().
      CHECK(relative_error(act->variance(s), act->expectations(s, s, s).phi, 1e-12) < 1e-13);
    }
    std::printf("%-24s vs independent rule: worst relative error %.1e\n", act->name().c_str(),
                case_worst);
    worst = std::max(worst, case_worst);
  }
  std::printf("quadrature activations vs independent rule: worst %.1e\n", worst);
}

TEST_CASE("the default 64-node tanh is accurate to ~1e-5 up to variance 2", "[activations]") {
  const auto tanh = ntk::sdk::make_activation("tanh");
  const auto fine = ntk::sdk::make_activation("tanh", {{"deg", 400.0}});
  double worst = 0;
  for (const auto& cov : ntk::test::covariance_grid()) {
    const auto e = tanh->expectations(cov.s11, cov.s12(), cov.s22);
    const auto t = fine->expectations(cov.s11, cov.s12(), cov.s22);
    const double floor_phi = 1e-3 * std::sqrt(t.phi > 0 ? fine->variance(cov.s11) * fine->variance(cov.s22) : 1.0);
    worst = std::max({worst, relative_error(e.phi, t.phi, floor_phi),
                      relative_error(e.dphi, t.dphi, 1e-3)});
  }
  std::printf("tanh with the default 64 nodes vs 400 nodes: worst relative error %.1e\n", worst);
  CHECK(worst < 1e-5);
}

TEST_CASE("QuadratureActivation handles zero variance and clamps the correlation", "[activations]") {
  const auto act = ntk::sdk::numerical_activation(
      "Shifted", [](double z) { return std::exp(z) + 1; }, [](double z) { return std::exp(z); });
  // u ≡ 0: E[φ(0)φ(v)] = 2·(e^{s/2} + 1), E[φ'(0)φ'(v)] = e^{s/2}.
  const auto e = act->expectations(0.0, 0.0, 0.8);
  CHECK(e.phi == Approx(2 * (std::exp(0.4) + 1)).epsilon(1e-13));
  CHECK(e.dphi == Approx(std::exp(0.4)).epsilon(1e-13));
  const auto both = act->expectations(0.0, 0.0, 0.0);
  CHECK(both.phi == Approx(4.0).epsilon(1e-15));
  CHECK(act->variance(0.0) == Approx(4.0).epsilon(1e-15));
  // Σ12 a little beyond √(Σ11Σ22) (round-off) is read as ρ = 1.
  const auto over = act->expectations(1.0, 1.0 + 1e-12, 1.0);
  const auto at = act->expectations(1.0, 1.0, 1.0);
  CHECK(over.phi == at.phi);
  CHECK(over.dphi == at.dphi);
}

TEST_CASE("QuadratureActivation refuses a φ that overflows at a node", "[activations]") {
  const auto cosh = ntk::sdk::numerical_activation(
      "Cosh", [](double z) { return std::cosh(z); }, [](double z) { return std::sinh(z); });
  for (double s : {1e4, 1e6}) {
    INFO("variance " << s);
    try {
      const auto e = cosh->expectations(s, 0.5 * s, s);
      FAIL("no error; got " << e.phi << ", " << e.dphi);
    } catch (const ntk::Error& error) {
      const std::string message = error.what();
      INFO(message);
      CHECK(message.find("Cosh") != std::string::npos);
      CHECK(message.find("variance") != std::string::npos);
      CHECK(message.find("inf") != std::string::npos);
    }
    CHECK_THROWS_AS(cosh->variance(s), ntk::Error);
    double nngp = 0.5 * s, ntk = 1.0;
    CHECK_THROWS_AS(cosh->entries(&nngp, &ntk, &s, &s, 1), ntk::Error);
  }
  // A NaN (log of a negative number) is refused the same way.
  const auto bad = ntk::sdk::numerical_activation(
      "Log", [](double z) { return std::log(z); }, [](double z) { return 1 / z; });
  CHECK_THROWS_WITH(bad->expectations(1.0, 0.0, 1.0), Catch::Contains("Log"));
  // Negative or non-finite variances are misuse.
  CHECK_THROWS_AS(cosh->expectations(-1.0, 0.0, 1.0), ntk::Error);
  CHECK_THROWS_AS(cosh->expectations(std::numeric_limits<double>::quiet_NaN(), 0.0, 1.0),
                  ntk::Error);
}
