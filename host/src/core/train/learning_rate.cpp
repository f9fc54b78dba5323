#include "core/train/learning_rate.hpp"

#include <cmath>
#include <random>
#include <string>

#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

namespace {

// Throws ntk::Error if Θ has a NaN or an infinity, saying where it comes from: the forward
// pass (outputs already non-finite) or the derivatives alone, with the usual cause.
void check_kernel_finite(const char* where, const sdk::Network& net, const sdk::Inputs& x,
                         const arma::mat& theta) {
  if (theta.is_finite()) return;
  arma::uword bad_i = 0, bad_j = 0;
  bool found = false;
  for (arma::uword j = 0; j < theta.n_cols && !found; ++j)
    for (arma::uword i = 0; i < theta.n_rows && !found; ++i)
      if (!std::isfinite(theta(i, j))) {
        bad_i = i;
        bad_j = j;
        found = true;
      }
  std::string source;
  try {
    const arma::mat f = net.forward(x);
    source = f.is_finite() ? "the network's outputs are finite, so its derivatives overflowed "
                             "(the Jacobian's entries grow with depth and weight scale)"
                           : "the network's forward pass already gives non-finite outputs";
  } catch (const std::exception& e) {
    source = std::string("the network's forward pass fails: ") + e.what();
  }
  throw_error(where, ": the empirical NTK on the ", x.size(), " training examples has a ",
              "non-finite entry (", theta(bad_i, bad_j), " at ", bad_i + 1, ", ", bad_j + 1,
              " of ", theta.n_rows, " x ", theta.n_cols, "); ", source,
              ". A deep network with large weight scales overflows double precision: use a ",
              "smaller w_std (near the critical value, e.g. sqrt(2) for relu), fewer layers, or ",
              "rescaled inputs; or give a numeric lr");
}

}  // namespace

arma::mat training_kernel(const sdk::Network& net, const sdk::Inputs& x) {
  return net.outputs() == 1 ? net.ntk(x, x) : net.ntk_full(x, x);
}

arma::mat checked_training_kernel(const char* where, const sdk::Network& net,
                                  const sdk::Inputs& x) {
  arma::mat theta = training_kernel(net, x);
  check_kernel_finite(where, net, x, theta);
  return theta;
}

arma::vec kernel_eigenvalues(const char* where, const arma::mat& theta, arma::mat* vectors) {
  arma::vec eigenvalues;
  const bool ok = vectors != nullptr ? arma::eig_sym(eigenvalues, *vectors, theta)
                                     : arma::eig_sym(eigenvalues, theta);
  if (!ok)
    throw_error(where, ": the eigendecomposition of the ", theta.n_rows, " x ", theta.n_cols,
                " empirical NTK failed (LAPACK did not converge; the kernel's entries span ",
                theta.is_empty() ? 0.0 : arma::abs(theta).max(), " in magnitude)");
  return eigenvalues;
}

arma::mat cross_kernel(const sdk::Network& net, const sdk::Inputs& a, const sdk::Inputs& b) {
  return net.outputs() == 1 ? net.ntk(a, b) : net.ntk_full(a, b);
}

double largest_kernel_eigenvalue(const sdk::Network& net, const sdk::Inputs& x) {
  if (x.size() == 0) throw_error("largest_kernel_eigenvalue(): no examples");
  const char* where = "largest_kernel_eigenvalue()";
  if (net.outputs() == 1) {
    const arma::vec eigenvalues =
        kernel_eigenvalues(where, checked_training_kernel(where, net, x), nullptr);
    return eigenvalues.max();
  }
  // Power iteration from a fixed pseudo-random start (reproducible, not aligned with any
  // structure of the kernel).
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> normal;
  arma::mat z(net.outputs(), x.size());
  z.imbue([&] { return normal(rng); });
  z /= arma::norm(arma::vectorise(z));
  double rayleigh = 0;
  for (int iteration = 0; iteration < 500; ++iteration) {
    const arma::mat image = net.jvp(x, net.vjp(x, z));
    const double next = arma::accu(z % image);
    const double norm = arma::norm(arma::vectorise(image));
    if (!std::isfinite(norm)) {
      // Name the cause as the one-output path does (forward or derivatives, and the fix).
      const arma::mat f = net.forward(x);
      throw_error(where, ": the network produced a non-finite J Jᵀ z (",
                  f.is_finite() ? "its outputs are finite, its derivatives overflowed"
                                : "its forward pass already gives non-finite outputs",
                  "). A deep network with large weight scales overflows double precision: use ",
                  "a smaller w_std, fewer layers, or rescaled inputs; or give a numeric lr");
    }
    if (norm == 0) return 0.0;
    z = image / norm;
    if (iteration > 0 && std::abs(next - rayleigh) <= 1e-7 * std::abs(next)) return next;
    rayleigh = next;
  }
  return rayleigh;
}

double stable_learning_rate(double lambda_max, arma::uword n, Regularizer reg, double lambda,
                            double fraction) {
  if (!(fraction > 0 && fraction < 2))
    throw_error("stable_learning_rate(): fraction ", fraction,
                " of the stability limit must be in (0, 2)");
  if (!(lambda_max > 0) || !std::isfinite(lambda_max))
    throw_error("stable_learning_rate(): the largest NTK eigenvalue is ", lambda_max,
                "; the kernel must be non-zero and finite to choose a step");
  const double nn = double(n);
  switch (reg) {
    case Regularizer::rdi: return fraction / (lambda_max / nn + lambda);
    case Regularizer::aux: return fraction * nn / (lambda_max + lambda);
    default: return fraction * nn / lambda_max;
  }
}

}  // namespace ntk::core::train
