// Every closed form against two quadratures of the same φ and φ' (value()/derivative()):
//  * the independent 2-D rule of tests/sdk/layers/gaussian_quadrature.hpp (polar coordinates,
//    split where u or v changes sign, so kinks converge like smooth functions): 1e-10 for all;
//  * the SDK's own QuadratureActivation (2-D Gauss–Hermite): 1e-10 for smooth φ with 160 nodes
//    per axis. Where the integrand has a kink or a jump Gauss–Hermite converges only
//    algebraically (a jump across the tensor grid: O(1/√n)), so 400 nodes and loose
//    tolerances, on the error divided by the Cauchy–Schwarz bound √(E f(u)² E f(v)²) (the
//    values cross 0, e.g. abrelu's E[φ'φ'] near ρ = −0.5): kJumpTolerance where the integrand
//    jumps (φ'φ' of the rectifiers, φφ of sign and of the step), kKinkTolerance for a
//    continuous φ with a kink. These catch gross errors only; the independent rule is the
//    accurate truth for those activations.
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>

#include "../layers/gaussian_quadrature.hpp"
#include "activation_cases.hpp"
#include "ntk/sdk/activation.hpp"

using ntk::sdk::ActivationPtr;
using ntk::test::relative_error;

namespace {

ActivationPtr quadrature_of(const ActivationPtr& act, int degree) {
  return ntk::sdk::numerical_activation(
      act->name(), [act](double z) { return act->value(z); },
      [act](double z) { return act->derivative(z); }, degree);
}

bool has_jump(const ActivationPtr& act) {
  return act->name() == "Sign" || act->name() == "RectifiedMonomial(degree=0)";
}

constexpr double kKinkTolerance = 5e-3, kJumpTolerance = 0.1;

}  // namespace

TEST_CASE("closed forms equal 2-D quadrature of their own φ and φ'", "[activations]") {
  double worst_smooth_gh = 0, worst_kink_gh = 0, worst_jump_gh = 0, worst_independent = 0;
  for (const auto& c : ntk::test::closed_form_cases()) {
    const ActivationPtr act = ntk::sdk::make_activation(c.name, c.options);
    const bool jump = has_jump(act);
    const int gh_degree = c.smooth ? 160 : 400;
    const ActivationPtr quad = quadrature_of(act, gh_degree);
    // φφ jumps for sign and the step, φ'φ' for every rectifier.
    const double gh_tol_phi = c.smooth ? 1e-10 : (jump ? kJumpTolerance : kKinkTolerance);
    const double gh_tol_dphi = c.smooth ? 1e-10 : kJumpTolerance;
    const auto f = [&](double z) { return act->value(z); };
    const auto df = [&](double z) { return act->derivative(z); };
    // Cauchy–Schwarz scales √(E f(u)² E f(v)²) from the independent rule, per variance.
    std::map<double, std::pair<double, double>> second_moment;
    const auto moment = [&](double s) {
      auto it = second_moment.find(s);
      if (it == second_moment.end())
        it = second_moment
                 .emplace(s, std::pair{ntk::test::gaussian_expectation(f, f, s, s, 1.0),
                                       ntk::test::gaussian_expectation(df, df, s, s, 1.0)})
                 .first;
      return it->second;
    };
    double case_gh = 0, case_gh_dphi = 0, case_independent = 0;
    for (const auto& cov : ntk::test::covariance_grid()) {
      const auto closed = act->expectations(cov.s11, cov.s12(), cov.s22);
      const auto gh = quad->expectations(cov.s11, cov.s12(), cov.s22);
      const double truth_phi = ntk::test::gaussian_expectation(f, f, cov.s11, cov.s22, cov.rho);
      const double truth_dphi = ntk::test::gaussian_expectation(df, df, cov.s11, cov.s22, cov.rho);
      const auto [m1, dm1] = moment(cov.s11);
      const auto [m2, dm2] = moment(cov.s22);
      const double floor_phi = 1e-3 * std::sqrt(m1 * m2), floor_dphi = 1e-3 * std::sqrt(dm1 * dm2);
      const double e_phi = relative_error(closed.phi, truth_phi, floor_phi);
      const double e_dphi = relative_error(closed.dphi, truth_dphi, floor_dphi);
      const double g_phi = c.smooth ? relative_error(closed.phi, gh.phi, floor_phi)
                                    : std::fabs(closed.phi - gh.phi) / (1e3 * floor_phi);
      const double g_dphi = c.smooth ? relative_error(closed.dphi, gh.dphi, floor_dphi)
                                     : std::fabs(closed.dphi - gh.dphi) /
                                           std::max(1e3 * floor_dphi, 1e-300);
      INFO(act->name() << " s11=" << cov.s11 << " s22=" << cov.s22 << " rho=" << cov.rho
                       << ": E[φφ] " << closed.phi << " vs independent " << truth_phi
                       << " vs Gauss–Hermite " << gh.phi << "; E[φ'φ'] " << closed.dphi
                       << " vs " << truth_dphi << " vs " << gh.dphi);
      CHECK(e_phi < 1e-10);
      CHECK(e_dphi < 1e-10);
      CHECK(g_phi < gh_tol_phi);
      CHECK(g_dphi < gh_tol_dphi);
      case_independent = std::max({case_independent, e_phi, e_dphi});
      case_gh = std::max(case_gh, g_phi);
      case_gh_dphi = std::max(case_gh_dphi, g_dphi);
    }
    // variance() against E[φ(u)²] by both rules.
    for (double s : {0.25, 1.0, 2.0}) {
      const double truth = moment(s).first;
      const double e = relative_error(act->variance(s), truth, 1e-12);
      const double g = relative_error(act->variance(s), quad->variance(s), 1e-12);
      INFO(act->name() << " variance(" << s << ") = " << act->variance(s) << " vs independent "
                       << truth << " vs Gauss–Hermite " << quad->variance(s));
      CHECK(e < 1e-10);
      CHECK(g < gh_tol_phi);
      case_independent = std::max(case_independent, e);
      case_gh = std::max(case_gh, g);
    }
    std::printf("%-28s vs independent rule %.1e, vs Gauss-Hermite(%d): E[φφ] %.1e, E[φ'φ'] %.1e\n",
                act->name().c_str(), case_independent, gh_degree, case_gh, case_gh_dphi);
    worst_independent = std::max(worst_independent, case_independent);
    if (c.smooth) {
      worst_smooth_gh = std::max({worst_smooth_gh, case_gh, case_gh_dphi});
    } else {
      (jump ? worst_jump_gh : worst_kink_gh) = std::max(jump ? worst_jump_gh : worst_kink_gh, case_gh);
      if (act->has_ntk()) worst_jump_gh = std::max(worst_jump_gh, case_gh_dphi);
    }
  }
  std::printf("closed forms: worst relative error vs independent rule %.1e; vs Gauss-Hermite: "
              "smooth %.1e, kink %.1e, jump %.1e\n",
              worst_independent, worst_smooth_gh, worst_kink_gh, worst_jump_gh);
}

TEST_CASE("closed forms that coincide give the same numbers", "[activations]") {
  // relu = abrelu(0, 1) = leaky_relu(0) = rectified_monomial(1); abs = abrelu(-1, 1);
  // monomial(1) is the identity; cos(c) = sin(c + π/2).
  const auto relu = ntk::sdk::make_activation("relu");
  const std::vector<ActivationPtr> same_as_relu = {
      ntk::sdk::make_activation("abrelu"),
      ntk::sdk::make_activation("leaky_relu", {{"alpha", 0.0}}),
      ntk::sdk::make_activation("rectified_monomial", {{"degree", 1.0}})};
  const auto cosine = ntk::sdk::make_activation("cos", {{"c", 0.3}});
  const auto shifted = ntk::sdk::make_activation("sin", {{"c", 0.3 + M_PI / 2}});
  const auto identity = ntk::sdk::make_activation("monomial", {{"degree", 1.0}});
  for (const auto& cov : ntk::test::covariance_grid()) {
    const auto r = relu->expectations(cov.s11, cov.s12(), cov.s22);
    for (const auto& other : same_as_relu) {
      const auto o = other->expectations(cov.s11, cov.s12(), cov.s22);
      INFO(other->name() << " rho=" << cov.rho);
      CHECK(o.phi == Approx(r.phi).epsilon(1e-13).margin(1e-15));
      CHECK(o.dphi == Approx(r.dphi).epsilon(1e-13).margin(1e-15));
    }
    const auto c = cosine->expectations(cov.s11, cov.s12(), cov.s22);
    const auto s = shifted->expectations(cov.s11, cov.s12(), cov.s22);
    CHECK(c.phi == Approx(s.phi).epsilon(1e-13).margin(1e-15));
    CHECK(c.dphi == Approx(s.dphi).epsilon(1e-13).margin(1e-15));
    const auto i = identity->expectations(cov.s11, cov.s12(), cov.s22);
    CHECK(i.phi == Approx(cov.s12()).epsilon(1e-15).margin(1e-15));
    CHECK(i.dphi == 1.0);
  }
}

TEST_CASE("the rectified monomials stay accurate as the correlation approaches -1", "[activations]") {
  // The binomial sum for J_n cancels as θ → π (the value vanishes like (π − θ)^{2n+1}); the
  // error must stay small relative to the scale Σ^n, and the value must not go negative.
  for (int n : {1, 2, 3, 5}) {
    const auto act = ntk::sdk::make_activation("rectified_monomial", {{"degree", double(n)}});
    const auto f = [&](double z) { return act->value(z); };
    double worst = 0;
    for (double rho : {-0.9, -0.99, -0.999, -0.99999}) {
      const double s11 = 1.3, s22 = 0.8;
      const auto e = act->expectations(s11, rho * std::sqrt(s11 * s22), s22);
      const double truth = ntk::test::gaussian_expectation(f, f, s11, s22, rho);
      const double scale = std::pow(s11 * s22, 0.5 * n);
      CHECK(e.phi >= 0);
      worst = std::max(worst, std::fabs(e.phi - truth) / scale);
    }
    std::printf("rectified_monomial(%d) near rho = -1: worst error / scale %.1e\n", n, worst);
    CHECK(worst < 1e-12);
  }
}
