// The loops below call sqrt on values known to be >= 0. They vectorise only without errno:
// sdk/CMakeLists.txt compiles this file with -fno-math-errno (a `#pragma GCC optimize` here
// did not reach the inlined sqrt, and the loops ran scalar).
#include "graph_relu.hpp"

#include <array>
#include <cmath>

namespace ntk::sdk::graph {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kTerms = 26;

// Taylor coefficients of R(z) = (arcsin(s) − s) / s³ in z = s²: arcsin s = Σ c_n s^(2n+1),
// c_{n+1} = c_n (2n+1)² / ((2n+2)(2n+3)), c_0 = 1 (Abramowitz & Stegun 4.4.40). On z ≤ 1/4
// the truncation error of 26 terms is below 1e-18 relative to arcsin.
constexpr std::array<double, kTerms> series_coefficients() {
  std::array<double, kTerms> c{};
  double cn = 1.0;
  for (int n = 0; n < kTerms; ++n) {
    cn *= double(2 * n + 1) * double(2 * n + 1) / (double(2 * n + 2) * double(2 * n + 3));
    c[n] = cn;
  }
  return c;
}
constexpr std::array<double, kTerms> kCoef = series_coefficients();

inline double arcsin_inline(double x) {
  // |x| ≤ 1/2: arcsin x = x + x z R(z), z = x². |x| > 1/2: arcsin|x| = π/2 − 2 arcsin(s),
  // s = √((1 − |x|)/2) ≤ 1/2, which keeps z ≤ 1/4 and avoids the singularity at 1.
  const double ax = std::fabs(x);
  const bool big = ax > 0.5;
  const double z = big ? 0.5 * (1.0 - ax) : ax * ax;
  const double s = big ? std::sqrt(z) : ax;
  double r = kCoef[kTerms - 1];
#pragma GCC unroll 32
  for (int n = kTerms - 2; n >= 0; --n) r = r * z + kCoef[n];
  const double a = s + s * z * r;
  const double result = big ? 0.5 * kPi - 2.0 * a : a;
  return std::copysign(result, x);
}

}  // namespace

// The factor (ρ(π − arccos ρ) + √(1 − ρ²))/(2π) ≤ 1/2 is formed before it multiplies d₁d₂
// (≤ the largest double when both variances are doubles): the other order overflows for
// variances above ~5e307 whose result is a double.
void relu_pairs(double* sigma, double* ntk, arma::uword n1, arma::uword n2, const double* d1,
                const double* inv_d1, const double* d2, const double* inv_d2) {
  constexpr double inv_two_pi = 1.0 / (2.0 * kPi);
  for (arma::uword j = 0; j < n2; ++j) {
    double* s = sigma + j * n1;
    const double dj = d2[j], inv_dj = inv_d2[j];
    if (ntk != nullptr) {
      double* t = ntk + j * n1;
#pragma omp simd
      for (arma::uword i = 0; i < n1; ++i) {
        double rho = s[i] * inv_d1[i] * inv_dj;
        rho = rho > 1.0 ? 1.0 : (rho < -1.0 ? -1.0 : rho);
        const double angle = 0.5 * kPi + arcsin_inline(rho);  // π − arccos ρ
        const double next =
            d1[i] * dj * ((rho * angle + std::sqrt((1.0 - rho) * (1.0 + rho))) * inv_two_pi);
        t[i] = t[i] * angle * inv_two_pi;
        s[i] = next;
      }
    } else {
#pragma omp simd
      for (arma::uword i = 0; i < n1; ++i) {
        double rho = s[i] * inv_d1[i] * inv_dj;
        rho = rho > 1.0 ? 1.0 : (rho < -1.0 ? -1.0 : rho);
        const double angle = 0.5 * kPi + arcsin_inline(rho);
        s[i] = d1[i] * dj * ((rho * angle + std::sqrt((1.0 - rho) * (1.0 + rho))) * inv_two_pi);
      }
    }
  }
}

}  // namespace ntk::sdk::graph
