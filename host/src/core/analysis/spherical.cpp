#include "core/analysis/spherical.hpp"

#include <cmath>

#include "ntk/sdk/error.hpp"

namespace ntk::core::analysis {

void gauss_legendre(arma::uword n, arma::vec& nodes, arma::vec& weights) {
  if (n == 0) throw_error("gauss_legendre(): n = 0; use at least 1 node");
  nodes.set_size(n);
  weights.set_size(n);
  for (arma::uword i = 0; i < (n + 1) / 2; ++i) {
    double x = std::cos(M_PI * (double(i) + 0.75) / (double(n) + 0.5));
    double derivative = 1;
    for (int iteration = 0; iteration < 100; ++iteration) {
      double p0 = 1, p1 = x;  // P_0, P_1; recurrence up to P_n
      for (arma::uword k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * double(k) - 1) * x * p1 - (double(k) - 1) * p0) / double(k);
        p0 = p1;
        p1 = p2;
      }
      if (n == 1) p0 = 1;
      derivative = double(n) * (x * p1 - p0) / (x * x - 1);
      const double step = p1 / derivative;
      x -= step;
      if (std::abs(step) < 1e-16) break;
    }
    nodes[i] = x;
    nodes[n - 1 - i] = -x;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - x * x) * derivative * derivative);
  }
  if (n % 2 == 1) nodes[n / 2] = 0;
}

void sphere_quadrature(arma::uword d, arma::uword n, arma::vec& t, arma::vec& weights) {
  if (d < 2) throw_error("sphere_quadrature(): d = ", d, "; the sphere S^{d-1} needs d >= 2");
  arma::vec x, w;
  gauss_legendre(n, x, w);
  const double half = M_PI / 2;
  // ω_{d−2}/ω_{d−1} = Γ(d/2)/(√π Γ((d−1)/2)), and dt (1 − t²)^{(d−3)/2} = sin^{d−2}θ dθ.
  const double ratio = std::exp(std::lgamma(double(d) / 2) - std::lgamma(double(d - 1) / 2)) /
                       std::sqrt(M_PI);
  t.set_size(n);
  weights.set_size(n);
  for (arma::uword i = 0; i < n; ++i) {
    const double theta = half * (x[i] + 1);
    t[i] = std::cos(theta);
    weights[i] = ratio * half * w[i] * std::pow(std::sin(theta), double(d) - 2);
  }
}

arma::mat legendre_sphere(arma::uword k_max, arma::uword d, const arma::vec& t) {
  if (d < 2) throw_error("legendre_sphere(): d = ", d, "; the sphere S^{d-1} needs d >= 2");
  arma::mat p(k_max + 1, t.n_elem);
  const double lambda = (double(d) - 2) / 2;
  for (arma::uword i = 0; i < t.n_elem; ++i) {
    const double x = t[i];
    double c0 = 1, c1 = d == 2 ? x : 2 * lambda * x;  // C_0, C_1 (T_0, T_1 for d = 2)
    double n0 = 1, n1 = d == 2 ? 1 : 2 * lambda;        // their values at 1
    p(0, i) = 1;
    if (k_max >= 1) p(1, i) = c1 / n1;
    for (arma::uword k = 2; k <= k_max; ++k) {
      double c2, n2;
      if (d == 2) {
        c2 = 2 * x * c1 - c0;
        n2 = 1;
      } else {
        const double kk = double(k);
        c2 = (2 * (kk + lambda - 1) * x * c1 - (kk + 2 * lambda - 2) * c0) / kk;
        n2 = (2 * (kk + lambda - 1) * n1 - (kk + 2 * lambda - 2) * n0) / kk;
      }
      c0 = c1;
      c1 = c2;
      n0 = n1;
      n1 = n2;
      p(k, i) = c1 / n1;
    }
  }
  return p;
}

double harmonic_multiplicity(arma::uword d, arma::uword k) {
  if (d < 2) throw_error("harmonic_multiplicity(): d = ", d, " must be >= 2");
  if (k == 0) return 1;
  if (d == 2) return 2;
  // (2k + d − 2)/k · binom(k + d − 3, d − 2)
  const double kk = double(k), dd = double(d);
  const double log_binom =
      std::lgamma(kk + dd - 2) - std::lgamma(dd - 1) - std::lgamma(kk);  // binom(k+d−3, d−2)
  return std::round((2 * kk + dd - 2) / kk * std::exp(log_binom));
}

arma::vec funk_hecke(const arma::vec& t, const arma::vec& weights, const arma::vec& kappa,
                     arma::uword d, arma::uword k_max) {
  if (t.n_elem != weights.n_elem || t.n_elem != kappa.n_elem)
    throw_error("funk_hecke(): t, weights and kappa have ", t.n_elem, ", ", weights.n_elem, " and ",
                kappa.n_elem, " entries; give one kernel value per quadrature node");
  if (!kappa.is_finite()) throw_error("funk_hecke(): the kernel values have non-finite entries");
  return legendre_sphere(k_max, d, t) * (weights % kappa);
}

PowerLawFit loglog_fit(const arma::vec& x, const arma::vec& y) {
  if (x.n_elem != y.n_elem || x.n_elem < 2)
    throw_error("loglog_fit(): x and y have ", x.n_elem, " and ", y.n_elem,
                " entries; give at least 2 pairs");
  if (arma::any(x <= 0) || arma::any(y <= 0) || !x.is_finite() || !y.is_finite())
    throw_error("loglog_fit(): x and y must be finite and positive (a log-log fit)");
  const arma::vec lx = arma::log(x), ly = arma::log(y);
  const double mx = arma::mean(lx), my = arma::mean(ly);
  const double sxx = arma::dot(lx - mx, lx - mx);
  if (sxx == 0) throw_error("loglog_fit(): all x are equal; the slope is undefined");
  PowerLawFit fit;
  fit.slope = arma::dot(lx - mx, ly - my) / sxx;
  fit.intercept = my - fit.slope * mx;
  fit.residual = std::sqrt(arma::mean(arma::square(ly - fit.intercept - fit.slope * lx)));
  return fit;
}

}  // namespace ntk::core::analysis
