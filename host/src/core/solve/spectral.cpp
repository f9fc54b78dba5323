#include "core/solve/spectral.hpp"

#include <cmath>
#include <sstream>

#include "core/solve/symmetry.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

void check_time(const char* fn, double t) {
  if (std::isnan(t) || t < 0) throw_error(fn, ": time t must be >= 0 (inf allowed), got ", t);
}

void check_ridge(const char* fn, double ridge) {
  if (!std::isfinite(ridge) || ridge < 0)
    throw_error(fn, ": ridge must be a finite number >= 0, got ", ridge);
}

}  // namespace

SpectralSolver::SpectralSolver(const arma::mat& K, const arma::mat& Y, const SpectralOptions& options)
    : targets_(Y) {
  const char* fn = "SpectralSolver()";
  const arma::uword n = K.n_rows;
  if (n == 0 || K.n_cols != n)
    throw_error(fn, ": the kernel must be square and non-empty, got ", K.n_rows, " x ", K.n_cols);
  if (Y.n_cols != n || Y.n_rows == 0)
    throw_error(fn, ": targets Y are ", Y.n_rows, " x ", Y.n_cols, "; expected k x ", n,
                " (one column per training example)");
  check_symmetric(fn, K);  // also checks the entries are finite
  sdk::check_finite(std::string(fn) + " targets", Y);
  arma::mat residual = -Y;
  if (!options.u0.is_empty()) {
    if (arma::size(options.u0) != arma::size(Y))
      throw_error(fn, ": u0 is ", options.u0.n_rows, " x ", options.u0.n_cols,
                  " but the targets are ", Y.n_rows, " x ", Y.n_cols);
    sdk::check_finite(std::string(fn) + " u0", options.u0);
    residual += options.u0;
  }
  if (!options.K_test.is_empty()) {
    if (options.K_test.n_cols != n)
      throw_error(fn, ": K_test is ", options.K_test.n_rows, " x ", options.K_test.n_cols,
                  "; expected m x ", n, " (test rows, training columns)");
    sdk::check_finite(std::string(fn) + " K_test", options.K_test);
    has_test_ = true;
    f0_test_.zeros(Y.n_rows, options.K_test.n_rows);
    if (!options.f0_test.is_empty()) {
      if (arma::size(options.f0_test) != arma::size(f0_test_))
        throw_error(fn, ": f0_test is ", options.f0_test.n_rows, " x ", options.f0_test.n_cols,
                    "; expected ", f0_test_.n_rows, " x ", f0_test_.n_cols);
      sdk::check_finite(std::string(fn) + " f0_test", options.f0_test);
      f0_test_ = options.f0_test;
    }
  } else if (!options.f0_test.is_empty()) {
    throw_error(fn, ": f0_test was given without K_test");
  }

  sdk::check_allocation("SpectralSolver(): the eigenvectors", n, n);
  if (!arma::eig_sym(eigenvalues_, eigenvectors_, K, "dc"))
    throw_error(fn, ": the eigen-decomposition of the ", n, " x ", n, " kernel did not converge");

  const double largest = arma::abs(eigenvalues_).max();
  tolerance_ = static_cast<double>(n) * arma::datum::eps * largest;
  clamped_ = eigenvalues_;
  clamped_.elem(arma::find(clamped_ <= tolerance_)).zeros();
  const arma::uword null = arma::accu(eigenvalues_ <= tolerance_);
  if (eigenvalues_.min() < -std::sqrt(arma::datum::eps) * largest) {
    std::ostringstream message;
    message << fn << ": the kernel is not positive semi-definite: smallest eigenvalue "
            << eigenvalues_.min() << " (largest " << largest << "); it is treated as 0";
    emit_warning(options.on_warning, warnings_, message.str());
  }
  if (null > 0) {
    std::ostringstream message;
    message << fn << ": the kernel is singular to working precision: " << null << " of " << n
            << " eigenvalues are <= " << tolerance_ << " (condition number "
            << (eigenvalues_.min() > 0 ? largest / eigenvalues_.min() : arma::datum::inf)
            << "); K^-1 is the pseudo-inverse on those directions";
    emit_warning(options.on_warning, warnings_, message.str());
  }

  projected_targets_ = eigenvectors_.t() * Y.t();
  projected_residual_ = eigenvectors_.t() * residual.t();
  if (has_test_) test_vectors_ = options.K_test * eigenvectors_;
}

void SpectralSolver::require_test(const char* fn) const {
  if (!has_test_)
    throw_error(fn, ": no test kernel; construct the solver with SpectralOptions::K_test (Lua: "
                    "K_test = ...)");
}

arma::vec SpectralSolver::ridge_weights(double ridge, bool times_eigenvalue) const {
  check_ridge("SpectralSolver ridge", ridge);
  arma::vec w(eigenvalues_.n_elem);
  for (arma::uword i = 0; i < w.n_elem; ++i) {
    const double mu = eigenvalues_[i] + ridge;
    if (mu <= tolerance_)
      w[i] = 0;  // pseudo-inverse: drop the direction
    else
      w[i] = (times_eigenvalue ? eigenvalues_[i] : 1.0) / mu;
  }
  return w;
}

arma::vec SpectralSolver::decay_weights(double t) const {
  check_time("SpectralSolver train_predictions", t);
  arma::vec w(clamped_.n_elem);
  for (arma::uword i = 0; i < w.n_elem; ++i)
    w[i] = clamped_[i] == 0 ? 1.0 : std::exp(-t * clamped_[i]);
  return w;
}

arma::vec SpectralSolver::extension_weights(double t) const {
  check_time("SpectralSolver test_predictions", t);
  arma::vec w(clamped_.n_elem);
  for (arma::uword i = 0; i < w.n_elem; ++i) {
    const double lambda = clamped_[i];
    // (1 − e^{−tλ})/λ without cancellation for small tλ; 1/λ at t = inf.
    w[i] = lambda == 0 ? 0.0 : -std::expm1(-t * lambda) / lambda;
  }
  return w;
}

arma::cube SpectralSolver::apply_many(const arma::mat& basis, const arma::mat& coefficients,
                                      const std::vector<arma::vec>& weights) const {
  const arma::uword k = coefficients.n_cols, q = weights.size();
  // Stack diag(w_j)·coefficients side by side (n × k·q), one product with the basis.
  arma::mat stacked(coefficients.n_rows, k * q);
  for (arma::uword j = 0; j < q; ++j)
    stacked.cols(j * k, j * k + k - 1) = coefficients.each_col() % weights[j];
  const arma::mat product = basis * stacked;  // rows × k·q
  arma::cube out(k, basis.n_rows, q);
  for (arma::uword j = 0; j < q; ++j) out.slice(j) = product.cols(j * k, j * k + k - 1).t();
  return out;
}

arma::mat SpectralSolver::ridge_alpha(double ridge) const {
  return eigenvectors_ * (projected_targets_.each_col() % ridge_weights(ridge, false));
}

arma::mat SpectralSolver::ridge_train_predictions(double ridge) const {
  return (eigenvectors_ * (projected_targets_.each_col() % ridge_weights(ridge, true))).t();
}

arma::mat SpectralSolver::ridge_test_predictions(double ridge) const {
  require_test("SpectralSolver::ridge_test_predictions()");
  return (test_vectors_ * (projected_targets_.each_col() % ridge_weights(ridge, false))).t();
}

arma::mat SpectralSolver::train_predictions(double t) const {
  return targets_ + (eigenvectors_ * (projected_residual_.each_col() % decay_weights(t))).t();
}

arma::mat SpectralSolver::test_predictions(double t) const {
  require_test("SpectralSolver::test_predictions()");
  return f0_test_ - (test_vectors_ * (projected_residual_.each_col() % extension_weights(t))).t();
}

double SpectralSolver::residual_norm2(double t) const {
  const arma::vec decay = decay_weights(t);
  return arma::accu(arma::square(projected_residual_.each_col() % decay));
}

double SpectralSolver::loss(double t) const {
  return residual_norm2(t) / (2.0 * static_cast<double>(num_train()));
}

arma::vec SpectralSolver::loss_curve(const arma::vec& times) const {
  arma::vec out(times.n_elem);
  for (arma::uword j = 0; j < times.n_elem; ++j) out[j] = loss(times[j]);
  return out;
}

arma::cube SpectralSolver::ridge_train_predictions_many(const arma::vec& ridges) const {
  std::vector<arma::vec> w;
  for (double r : ridges) w.push_back(ridge_weights(r, true));
  return apply_many(eigenvectors_, projected_targets_, w);
}

arma::cube SpectralSolver::ridge_test_predictions_many(const arma::vec& ridges) const {
  require_test("SpectralSolver::ridge_test_predictions_many()");
  std::vector<arma::vec> w;
  for (double r : ridges) w.push_back(ridge_weights(r, false));
  return apply_many(test_vectors_, projected_targets_, w);
}

arma::cube SpectralSolver::train_predictions_many(const arma::vec& times) const {
  std::vector<arma::vec> w;
  for (double t : times) w.push_back(decay_weights(t));
  arma::cube out = apply_many(eigenvectors_, projected_residual_, w);
  out.each_slice() += targets_;
  return out;
}

arma::cube SpectralSolver::test_predictions_many(const arma::vec& times) const {
  require_test("SpectralSolver::test_predictions_many()");
  std::vector<arma::vec> w;
  for (double t : times) w.push_back(-extension_weights(t));
  arma::cube out = apply_many(test_vectors_, projected_residual_, w);
  out.each_slice() += f0_test_;
  return out;
}

}  // namespace ntk::core::solve
