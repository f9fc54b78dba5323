// Independent truth for the activation rules: E[f(u)·g(v)] for (u, v) ~ N(0, [[s11, s12],
// [s12, s22]]), s12 = rho·√(s11·s22) by 2-D quadrature, knowing nothing of the closed forms.
//
// With u = L11·z1, v = L21·z1 + L22·z2 (Cholesky) and z = r(cos α, sin α),
//   E = (1/2π) ∫_0^{2π} dα ∫_0^∞ r e^{−r²/2} f(r·A(α)) g(r·B(α)) dr.
// The angle range is split where A or B changes sign (ReLU and its step derivative are smooth
// in between), each piece and the radius (cut at 12: the Gaussian tail is < 1e-28) use
// composite Gauss–Legendre rules, so non-smooth activations converge like smooth ones.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace ntk::test {

struct GaussLegendre {
  std::vector<double> nodes, weights;  // on [-1, 1]
  explicit GaussLegendre(int n) : nodes(n), weights(n) {
    for (int i = 0; i < n; ++i) {
      long double x = std::cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 0;
      for (int it = 0; it < 100; ++it) {
        long double p0 = 1, p1 = x;
        for (int k = 2; k <= n; ++k) {
          const long double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = n * (x * p1 - p0) / (x * x - 1);
        const long double step = p1 / dp;
        x -= step;
        if (std::fabs(double(step)) < 1e-19) break;
      }
      nodes[i] = double(x);
      weights[i] = double(2 / ((1 - x * x) * dp * dp));
    }
  }
  // ∫_a^b h with `panels` equal panels.
  double integrate(const std::function<double(double)>& h, double a, double b, int panels) const {
    long double total = 0;
    const double width = (b - a) / panels;
    for (int p = 0; p < panels; ++p) {
      const double lo = a + p * width, mid = lo + width / 2;
      for (std::size_t i = 0; i < nodes.size(); ++i)
        total += weights[i] * h(mid + width / 2 * nodes[i]);
    }
    return double(total * width / 2);
  }
};

// Correlation rho = s12/√(s11·s22) is passed instead of s12 so that |rho| = 1 is exact.
inline double gaussian_expectation(const std::function<double(double)>& f,
                                   const std::function<double(double)>& g, double s11, double s22,
                                   double rho) {
  static const GaussLegendre rule(40);
  const double l11 = std::sqrt(s11), l21 = rho * std::sqrt(s22);
  const double l22 = std::sqrt(s22) * std::sqrt(std::max(1 - rho * rho, 0.0));
  std::vector<double> cuts = {0.0, M_PI / 2, 3 * M_PI / 2, 2 * M_PI};
  const double zero_b = std::atan2(-l21, l22);  // B(α) = 0 here and at zero_b + π
  for (double c : {zero_b, zero_b + M_PI, zero_b - M_PI, zero_b + 2 * M_PI})
    if (c > 0 && c < 2 * M_PI) cuts.push_back(c);
  std::sort(cuts.begin(), cuts.end());
  double total = 0;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    if (cuts[k + 1] - cuts[k] < 1e-15) continue;
    total += rule.integrate(
        [&](double alpha) {
          const double a = l11 * std::cos(alpha), b = l21 * std::cos(alpha) + l22 * std::sin(alpha);
          return rule.integrate(
              [&](double r) { return r * std::exp(-r * r / 2) * f(r * a) * g(r * b); }, 0.0, 12.0,
              6);
        },
        cuts[k], cuts[k + 1], 3);
  }
  return total / (2 * M_PI);
}

}  // namespace ntk::test
