// Spectral solver: decompose the train kernel once, K = V diag(λ) Vᵀ, then answer many ridges
// and many gradient-flow times cheaply.
//
// Gradient flow on the squared loss ½‖u − y‖² of a model whose tangent kernel is K (the
// linearised network, Lee et al. 2019) is u̇ = −K(u − y); its solution on the training set and
// its extension to test points x are (issue 3; Eq. 8 of "Wide NNs are interpolating kernel
// methods" in continuous time)
//   u(t)   = y + e^{−tK}(u(0) − y)
//   f_t(x) = f_0(x) + K(x,X) K⁻¹(I − e^{−tK})(y − u(0))
// and the training residual is ‖u(t) − y‖² = Σ_i e^{−2λ_i t}⟨v_i, y − u(0)⟩².
//
// Time: t is the gradient-flow time of u̇ = −K(u − y) (unit learning rate, summed loss
// ½Σ_i‖u_i − y_i‖²). Gradient descent with learning rate η on the mean loss
// L = 1/(2n) Σ_i ‖f(x_i) − y_i‖² (the loss of core/train) for s steps corresponds, in the
// small-η limit, to t = η·s/n with K = Θ, or equivalently to t = η·s with K = Θ/n (the
// convention of core/train/gradient_descent.hpp).
// Loss: loss(t) = 1/(2n) Σ_i ‖u_i(t) − y_i‖² (that mean loss, summed over outputs; it does
// not depend on how K is scaled); residual_norm2(t) = ‖u(t) − y‖²_F (the sum above).
//
// Precomputed once: V, λ, Vᵀyᵀ and Vᵀ(u(0) − y)ᵀ (n × k), and K(X_test, X)·V (m × n) when a
// test kernel is given. A query then costs O(n·k) (loss), O(m·n·k) (test predictions) or
// O(n²·k) (training predictions and alpha, one product with V). The *_many forms answer a list
// of λ or t with one matrix-matrix product.
//
// Singular kernels: eigenvalues ≤ tol = n·eps·λ_max are treated as 0 (K⁻¹ is the
// pseudo-inverse; their directions of the residual never decay). Ridge λ: directions with
// λ_i + λ ≤ tol are dropped (λ = 0 gives minimum-norm interpolation). A kernel with a clearly
// negative eigenvalue (< −√eps·λ_max) is reported by a warning.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "core/solve/warnings.hpp"

namespace ntk::core::solve {

struct SpectralOptions {
  arma::mat u0;           // k × n outputs at t = 0 on the training set; empty: zeros
  arma::mat K_test;       // m × n test-train kernel; empty: no test queries
  arma::mat f0_test;      // k × m outputs at t = 0 on the test set; empty: zeros
  WarningSink on_warning;  // empty: stderr
};

class SpectralSolver {
 public:
  // K: n × n symmetric train kernel, Y: k × n targets. Does the one eigen-decomposition.
  SpectralSolver(const arma::mat& K, const arma::mat& Y, const SpectralOptions& options = {});

  arma::uword num_train() const { return eigenvectors_.n_rows; }
  arma::uword num_outputs() const { return targets_.n_rows; }
  arma::uword num_test() const { return test_vectors_.n_rows; }
  bool has_test() const { return has_test_; }
  const arma::vec& eigenvalues() const { return eigenvalues_; }  // ascending
  const arma::mat& eigenvectors() const { return eigenvectors_; }
  double tolerance() const { return tolerance_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Kernel ridge regression at λ ≥ 0: alpha = (K + λI)⁻¹yᵀ (n × k) and its predictions.
  arma::mat ridge_alpha(double ridge) const;
  arma::mat ridge_train_predictions(double ridge) const;  // k × n, K·alpha
  arma::mat ridge_test_predictions(double ridge) const;   // k × m, K_test·alpha

  // Gradient flow at time t ≥ 0 (t = +inf allowed: the converged model).
  arma::mat train_predictions(double t) const;  // k × n, u(t)
  arma::mat test_predictions(double t) const;   // k × m, f_t(X_test)
  double residual_norm2(double t) const;        // ‖u(t) − y‖²_F
  double loss(double t) const;                  // residual_norm2(t) / (2n)
  arma::vec loss_curve(const arma::vec& times) const;

  // Batched forms: slice j answers ridges[j] / times[j]; one BLAS-3 product for all.
  arma::cube ridge_train_predictions_many(const arma::vec& ridges) const;
  arma::cube ridge_test_predictions_many(const arma::vec& ridges) const;
  arma::cube train_predictions_many(const arma::vec& times) const;
  arma::cube test_predictions_many(const arma::vec& times) const;

 private:
  // Per-eigenvalue weights for a query; `basis` (n × n or m × n) times diag(w) times coeffs.
  arma::vec ridge_weights(double ridge, bool times_eigenvalue) const;
  arma::vec decay_weights(double t) const;       // e^{−tλ̃_i}
  arma::vec extension_weights(double t) const;   // (1 − e^{−tλ̃_i}) / λ̃_i, 0 on the null space
  arma::cube apply_many(const arma::mat& basis, const arma::mat& coefficients,
                        const std::vector<arma::vec>& weights) const;
  void require_test(const char* fn) const;

  arma::vec eigenvalues_;
  arma::vec clamped_;  // λ̃: eigenvalues with those ≤ tolerance set to 0
  arma::mat eigenvectors_;
  arma::mat targets_;             // k × n
  arma::mat projected_targets_;   // n × k, Vᵀyᵀ
  arma::mat projected_residual_;  // n × k, Vᵀ(u(0) − y)ᵀ
  arma::mat test_vectors_;        // m × n, K_test V
  arma::mat f0_test_;             // k × m
  bool has_test_ = false;
  double tolerance_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace ntk::core::solve
