// Gauss–Hermite quadrature for the standard normal weight, and QuadratureActivation: the two
// Gaussian expectations of any φ by a 2-D product rule (neural-tangents' ElementwiseNumerical).
#include <algorithm>
#include <armadillo>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <unordered_map>
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
  gauss_hermite_normal(std::min(4 * degree, 400), series_nodes_, series_weights_);
  static std::atomic<std::uint64_t> next_serial{1};
  serial_ = next_serial++;
  terms_ = std::size_t(std::min(2 * degree, int(series_nodes_.size()) / 2));
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

std::vector<double> QuadratureActivation::hermite_coefficients(double s) const {
  if (!(s >= 0) || !std::isfinite(s))
    throw_error("activation ", name(), ": variance must be finite and ≥ 0, got ", s);
  const double a = std::sqrt(s);
  const std::size_t K = terms_;
  std::vector<long double> c(2 * K, 0.0L);
  std::vector<double> h(K);
  for (std::size_t i = 0; i < series_nodes_.size(); ++i) {
    const double x = series_nodes_[i];
    const double f = checked(phi_, a * x, name_, "φ", s, s);
    const double df = checked(dphi_, a * x, name_, "φ'", s, s);
    // Normalised Hermite polynomials h_k = He_k/√k!: h_{k+1} = (x h_k − √k h_{k−1})/√(k+1).
    h[0] = 1;
    if (K > 1) h[1] = x;
    for (std::size_t k = 1; k + 1 < K; ++k)
      h[k + 1] = (x * h[k] - std::sqrt(double(k)) * h[k - 1]) / std::sqrt(double(k + 1));
    const long double w = series_weights_[i];
    for (std::size_t k = 0; k < K; ++k) {
      c[k] += w * f * h[k];
      c[K + k] += w * df * h[k];
    }
  }
  return {c.begin(), c.end()};
}

const std::vector<double>& QuadratureActivation::cached_coefficients(double s) const {
  // Per thread: the kernel engine calls entries() from many threads. Keys are (activation
  // instance, variance): a fused pass alternates between the activations of several layers, and
  // a value never goes stale. The instance is a serial number, not an address, which a later
  // activation could reuse. The table is dropped when it grows large.
  struct Key {
    std::uint64_t owner;
    double variance;
    bool operator==(const Key& o) const { return owner == o.owner && variance == o.variance; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<double>()(k.variance) ^ (std::hash<std::uint64_t>()(k.owner) * 0x9e3779b97f4a7c15ULL);
    }
  };
  struct Cache {
    std::unordered_map<Key, std::vector<double>, KeyHash> table;
  };
  thread_local Cache cache;
  if (cache.table.size() > 200000) cache.table.clear();
  const Key key{serial_, s};
  auto it = cache.table.find(key);
  if (it == cache.table.end()) it = cache.table.emplace(key, hermite_coefficients(s)).first;
  return it->second;
}

namespace {

// Σ_k ρ^k x_k y_k by Horner.
double mehler(const double* x, const double* y, std::size_t K, double rho) {
  double total = 0;
  for (std::size_t k = K; k-- > 0;) total = total * rho + x[k] * y[k];
  return total;
}

}  // namespace

GaussianExpectations QuadratureActivation::series_expectations(double s11, double s12,
                                                               double s22) const {
  const std::vector<double> c1 = hermite_coefficients(s11), c2 = hermite_coefficients(s22);
  const double prod = s11 * s22;
  const double rho = prod > 0 ? std::clamp(s12 / std::sqrt(prod), -1.0, 1.0) : 0.0;
  return {mehler(c1.data(), c2.data(), terms_, rho),
          mehler(c1.data() + terms_, c2.data() + terms_, terms_, rho)};
}

void QuadratureActivation::entries(double* nngp, double* ntk, const double* var1,
                                   const double* var2, std::size_t len) const {
  const std::size_t K = terms_;
  std::vector<double> second;  // a copy: a later lookup may rehash the table
  double last_var2 = 0;
  for (std::size_t i = 0; i < len; ++i) {
    if (second.empty() || var2[i] != last_var2) {
      second = cached_coefficients(var2[i]);
      last_var2 = var2[i];
    }
    const std::vector<double>& first = cached_coefficients(var1[i]);
    const double prod = var1[i] * var2[i];
    const double rho = prod > 0 ? std::clamp(nngp[i] / std::sqrt(prod), -1.0, 1.0) : 0.0;
    nngp[i] = mehler(first.data(), second.data(), K, rho);
    if (ntk != nullptr) ntk[i] *= mehler(first.data() + K, second.data() + K, K, rho);
  }
}

ActivationPtr numerical_activation(std::string name, std::function<double(double)> phi,
                                   std::function<double(double)> dphi, int degree) {
  return std::make_shared<QuadratureActivation>(std::move(name), std::move(phi), std::move(dphi),
                                                degree);
}

}  // namespace ntk::sdk
