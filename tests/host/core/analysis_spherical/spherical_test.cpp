// Spherical harmonic analysis (core/analysis/spherical.hpp) against closed forms: Gauss–Legendre
// exactness, sphere moments, Legendre polynomials of dimension 3 and 2, multiplicities,
// orthogonality, Funk–Hecke coefficients of t² and of exp(t), power-law fits.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/analysis/spherical.hpp"
#include "ntk/sdk/error.hpp"

namespace an = ntk::core::analysis;

TEST_CASE("Gauss-Legendre integrates polynomials of degree 2n-1 exactly", "[analysis_spherical]") {
  arma::vec x, w;
  an::gauss_legendre(7, x, w);
  CHECK(arma::accu(w) == Approx(2.0).epsilon(1e-15));
  for (int k = 0; k <= 13; ++k) {
    const double exact = k % 2 == 1 ? 0.0 : 2.0 / (k + 1);
    CHECK(arma::dot(w, arma::pow(x, k)) == Approx(exact).margin(1e-14));
  }
}

TEST_CASE("sphere quadrature gives the moments of the uniform sphere", "[analysis_spherical]") {
  for (arma::uword d : {2u, 3u, 5u, 10u}) {
    arma::vec t, w;
    an::sphere_quadrature(d, 60, t, w);
    const double dd = double(d);
    CHECK(arma::accu(w) == Approx(1.0).epsilon(1e-13));
    CHECK(arma::dot(w, arma::square(t)) == Approx(1.0 / dd).epsilon(1e-13));
    CHECK(arma::dot(w, arma::pow(t, 4)) == Approx(3.0 / (dd * (dd + 2))).epsilon(1e-13));
  }
}

TEST_CASE("Legendre polynomials of dimension d and their multiplicities", "[analysis_spherical]") {
  const arma::vec t = arma::linspace(-1, 1, 9);
  const arma::mat p3 = an::legendre_sphere(3, 3, t);
  for (arma::uword i = 0; i < t.n_elem; ++i) {
    CHECK(p3(2, i) == Approx((3 * t[i] * t[i] - 1) / 2).margin(1e-15));
    CHECK(p3(3, i) == Approx((5 * std::pow(t[i], 3) - 3 * t[i]) / 2).margin(1e-15));
  }
  const arma::mat p2 = an::legendre_sphere(4, 2, t);
  for (arma::uword i = 0; i < t.n_elem; ++i) CHECK(p2(4, i) == Approx(std::cos(4 * std::acos(t[i]))).margin(1e-14));
  for (arma::uword k = 0; k < 6; ++k) {
    CHECK(an::harmonic_multiplicity(3, k) == double(2 * k + 1));
    CHECK(an::harmonic_multiplicity(4, k) == double((k + 1) * (k + 1)));
  }
  // Orthogonality: E[P_j P_k] = δ_jk / N(d, k).
  arma::vec q, w;
  an::sphere_quadrature(6, 80, q, w);
  const arma::mat p = an::legendre_sphere(8, 6, q);
  const arma::mat gram = p * arma::diagmat(w) * p.t();
  for (arma::uword j = 0; j <= 8; ++j)
    for (arma::uword k = 0; k <= 8; ++k)
      CHECK(gram(j, k) == Approx(j == k ? 1.0 / an::harmonic_multiplicity(6, k) : 0.0).margin(1e-13));
}

TEST_CASE("Funk-Hecke coefficients of known kernels", "[analysis_spherical]") {
  arma::vec t, w;
  an::sphere_quadrature(3, 50, t, w);
  // t² = (1/3) P_0 + (2/3) P_2 on S², and κ = Σ μ_k N(3, k) P_k: μ_0 = 1/3, μ_2 = 2/15.
  const arma::vec mu = an::funk_hecke(t, w, arma::square(t), 3, 4);
  CHECK(mu[0] == Approx(1.0 / 3).epsilon(1e-13));
  CHECK(mu[1] == Approx(0.0).margin(1e-14));
  CHECK(mu[2] == Approx(2.0 / 15).epsilon(1e-13));
  CHECK(mu[4] == Approx(0.0).margin(1e-14));
  // exp(t) on S²: μ_k = ½∫ e^t P_k(t) dt = i_k(1), the modified spherical Bessel function:
  // i_0(1) = sinh 1, i_1(1) = cosh 1 − sinh 1.
  const arma::vec e = an::funk_hecke(t, w, arma::exp(t), 3, 1);
  CHECK(e[0] == Approx(std::sinh(1.0)).epsilon(1e-13));
  CHECK(e[1] == Approx(std::cosh(1.0) - std::sinh(1.0)).epsilon(1e-12));
}

TEST_CASE("log-log fits recover power laws and refuse bad data", "[analysis_spherical]") {
  const arma::vec x = {2, 4, 8, 16, 32};
  const an::PowerLawFit fit = an::loglog_fit(x, 3.0 * arma::pow(x, -2.5));
  CHECK(fit.slope == Approx(-2.5).epsilon(1e-13));
  CHECK(std::exp(fit.intercept) == Approx(3.0).epsilon(1e-12));
  CHECK(fit.residual < 1e-12);
  CHECK_THROWS_WITH(an::loglog_fit(x, -x), Catch::Contains("positive"));
  CHECK_THROWS_WITH(an::loglog_fit(arma::vec{1.0}, arma::vec{1.0}), Catch::Contains("at least 2"));
}
