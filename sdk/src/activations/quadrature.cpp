// Gauss–Hermite quadrature for the standard normal weight, and QuadratureActivation: the two
// Gaussian expectations of any φ by a 2-D product rule (neural-tangents' ElementwiseNumerical).
#include <algorithm>
#include <armadillo>
#include <cmath>
#include <utility>

#include "ntk/sdk/activation.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::sdk {

namespace {

// Normalised probabilists' Hermite polynomials h_k = He_k/√(k!) at x, by their three-term
// recurrence x·He_k = He_{k+1} + k·He_{k−1}; returns {h_n(x), h_{n−1}(x)}. Normalised values
// stay within long double's range for every degree we accept (He_n alone overflows near 170).
std::pair<long double, long double> hermite_pair(int n, long double x) {
  long double prev = 0, cur = 1;  // h_{−1}, h_0
  for (int k = 0; k < n; ++k) {
    const long double next = (x * cur - std::sqrt(static_cast<long double>(k)) * prev) /
                             std::sqrt(static_cast<long double>(k + 1));
    prev = cur;
    cur = next;
  }
  return {cur, prev};
}

}  // namespace

void gauss_hermite_normal(int degree, std::vector<double>& nodes, std::vector<double>& weights) {
  if (degree < 1 || degree > 400)
    throw_error("gauss_hermite_normal(): degree ", degree, " must be in [1, 400]");
  const arma::uword n = static_cast<arma::uword>(degree);
  // Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of He_k (zero diagonal,
  // off-diagonal √k). Its eigenvectors would give the weights only to absolute accuracy, so the
  // tail weights (down to 1e-300) would be lost; instead each node is polished by Newton on the
  // recurrence in long double (h_n' = √n·h_{n−1}) and its weight is 1/(n·h_{n−1}(x)²).
  arma::mat jacobi(n, n, arma::fill::zeros);
  for (arma::uword k = 1; k < n; ++k) jacobi(k, k - 1) = jacobi(k - 1, k) = std::sqrt(double(k));
  arma::vec eigenvalues;
  if (!arma::eig_sym(eigenvalues, jacobi))
    throw_error("gauss_hermite_normal(): eigen-decomposition failed for degree ", degree);
  nodes.assign(n, 0.0);
  weights.assign(n, 0.0);
  const long double root_n = std::sqrt(static_cast<long double>(degree));
  for (arma::uword i = 0; i < n; ++i) {
    long double x = eigenvalues(i);
    for (int it = 0; it < 6; ++it) {
      const auto [h, h_prev] = hermite_pair(degree, x);
      const long double step = h / (root_n * h_prev);
      x -= step;
      if (std::fabs(step) <= 1e-19L * std::max(1.0L, std::fabs(x))) break;
    }
    const long double h_prev = hermite_pair(degree, x).second;
    nodes[i] = static_cast<double>(x);
    weights[i] = static_cast<double>(1.0L / (degree * h_prev * h_prev));
  }
  // Exact symmetry: x_{n−1−i} = −x_i, equal weights, a node at 0 for odd n.
  for (arma::uword i = 0; i < n / 2; ++i) {
    const arma::uword j = n - 1 - i;
    const double x = 0.5 * (nodes[j] - nodes[i]), w = 0.5 * (weights[i] + weights[j]);
    nodes[i] = -x;
    nodes[j] = x;
    weights[i] = weights[j] = w;
  }
  if (n % 2 == 1) nodes[n / 2] = 0.0;
}

QuadratureActivation::QuadratureActivation(std::string name, std::function<double(double)> phi,
                                           std::function<double(double)> dphi, int degree)
    : name_(std::move(name)), phi_(std::move(phi)), dphi_(std::move(dphi)) {
  if (!phi_ || !dphi_)
    throw_error("QuadratureActivation(\"", name_, "\"): φ and φ' must both be given");
  gauss_hermite_normal(degree, nodes_, weights_);
}

std::string QuadratureActivation::name() const { return name_ + " (quadrature)"; }
double QuadratureActivation::value(double z) const { return phi_(z); }
double QuadratureActivation::derivative(double z) const { return dphi_(z); }

namespace {

// φ(z) or φ'(z), refusing a non-finite value (φ overflowed: the expectation is not
// representable, and NaN must not flow into a kernel).
double checked(const std::function<double(double)>& f, double z, const std::string& name,
               const char* what, double s11, double s22) {
  const double y = f(z);
  if (!std::isfinite(y))
    throw_error("activation ", name, " (quadrature): ", what, "(", z, ") = ", y,
                " at a Gauss–Hermite node for variances s11 = ", s11, ", s22 = ", s22,
                "; the Gaussian expectation overflows (reduce the pre-activation variance, e.g. "
                "smaller weight or bias scales)");
  return y;
}

}  // namespace

GaussianExpectations QuadratureActivation::expectations(double s11, double s12,
                                                        double s22) const {
  if (!(s11 >= 0) || !(s22 >= 0) || !std::isfinite(s11) || !std::isfinite(s22) ||
      !std::isfinite(s12))
    throw_error("activation ", name(), ": variances must be finite and ≥ 0, got s11 = ", s11,
                ", s12 = ", s12, ", s22 = ", s22);
  // u = √s11·z1, v = ρ√s22·z1 + √(1−ρ²)·√s22·z2: the Cholesky factor of the 2 × 2 covariance.
  // A zero variance makes that variable the constant 0 (ρ is then irrelevant; take 0).
  const double prod = s11 * s22;
  const double rho = prod > 0 ? std::clamp(s12 / std::sqrt(prod), -1.0, 1.0) : 0.0;
  const double a = std::sqrt(s11), root22 = std::sqrt(s22);
  const double b1 = rho * root22, b2 = std::sqrt(std::max(0.0, 1 - rho * rho)) * root22;
  const std::size_t n = nodes_.size();
  // φ(u) and φ'(u) depend on the first node only.
  std::vector<double> f_u(n), df_u(n);
  for (std::size_t i = 0; i < n; ++i) {
    f_u[i] = checked(phi_, a * nodes_[i], name_, "φ", s11, s22);
    df_u[i] = checked(dphi_, a * nodes_[i], name_, "φ'", s11, s22);
  }
  long double phi = 0, dphi = 0;
  if (b2 == 0) {  // |ρ| = 1 (or s22 = 0): v is a function of z1 alone, a 1-D rule
    for (std::size_t i = 0; i < n; ++i) {
      const double v = b1 * nodes_[i];
      phi += weights_[i] * f_u[i] * checked(phi_, v, name_, "φ", s11, s22);
      dphi += weights_[i] * df_u[i] * checked(dphi_, v, name_, "φ'", s11, s22);
    }
  } else if (b1 == 0) {  // ρ = 0: independent, a product of two 1-D rules
    long double fu = 0, dfu = 0, fv = 0, dfv = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = b2 * nodes_[i];
      fu += weights_[i] * f_u[i];
      dfu += weights_[i] * df_u[i];
      fv += weights_[i] * checked(phi_, v, name_, "φ", s11, s22);
      dfv += weights_[i] * checked(dphi_, v, name_, "φ'", s11, s22);
    }
    phi = fu * fv;
    dphi = dfu * dfv;
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      long double inner = 0, dinner = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const double v = b1 * nodes_[i] + b2 * nodes_[j];
        inner += weights_[j] * checked(phi_, v, name_, "φ", s11, s22);
        dinner += weights_[j] * checked(dphi_, v, name_, "φ'", s11, s22);
      }
      phi += weights_[i] * f_u[i] * inner;
      dphi += weights_[i] * df_u[i] * dinner;
    }
  }
  return {static_cast<double>(phi), static_cast<double>(dphi)};
}

double QuadratureActivation::variance(double s) const {
  if (!(s >= 0) || !std::isfinite(s))
    throw_error("activation ", name(), ": variance must be finite and ≥ 0, got ", s);
  const double a = std::sqrt(s);
  long double total = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const double f = checked(phi_, a * nodes_[i], name_, "φ", s, s);
    total += weights_[i] * f * f;
  }
  return static_cast<double>(total);
}

ActivationPtr numerical_activation(std::string name, std::function<double(double)> phi,
                                   std::function<double(double)> dphi, int degree) {
  return std::make_shared<QuadratureActivation>(std::move(name), std::move(phi), std::move(dphi),
                                                degree);
}

}  // namespace ntk::sdk
