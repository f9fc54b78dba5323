#include "core/train/learning_rate.hpp"

#include <cmath>
#include <random>

#include "ntk/sdk/error.hpp"

namespace ntk::core::train {

arma::mat training_kernel(const sdk::Network& net, const sdk::Inputs& x) {
  return net.outputs() == 1 ? net.ntk(x, x) : net.ntk_full(x, x);
}

arma::mat cross_kernel(const sdk::Network& net, const sdk::Inputs& a, const sdk::Inputs& b) {
  return net.outputs() == 1 ? net.ntk(a, b) : net.ntk_full(a, b);
}

double largest_kernel_eigenvalue(const sdk::Network& net, const sdk::Inputs& x) {
  if (x.size() == 0) throw_error("largest_kernel_eigenvalue(): no examples");
  if (net.outputs() == 1) {
    const arma::vec eigenvalues = arma::eig_sym(net.ntk(x, x));
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
    if (!std::isfinite(norm))
      throw_error("largest_kernel_eigenvalue(): the network produced a non-finite J Jᵀ z");
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
