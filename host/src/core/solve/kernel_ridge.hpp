// Kernel ridge regression and minimum-norm interpolation on a precomputed kernel.
//
//   alpha = (K + λI)⁻¹ Yᵀ        K: n × n train kernel, Y: k × n targets (examples are columns),
//                                alpha: n × k, one column per output;
//   predict(K_test_train, alpha) = (K_test_train · alpha)ᵀ   (k × m, examples are columns).
//
// λ = 0 is minimum-norm interpolation: the predictor of the infinitely wide network trained to
// convergence from zero output (Jacot et al. 2018; Eq. 9 of "Wide NNs are interpolating kernel
// methods").
//
// The solve is a Cholesky factorisation (LAPACK dpotrf) followed by dpotrs. When the
// factorisation fails (K + λI not numerically positive definite) the solver falls back to an
// eigen-decomposition and the pseudo-inverse, with a warning that states the condition number;
// a successful factorisation whose condition-number estimate (dpocon) exceeds
// `warn_condition` also warns. Warnings go to `on_warning` (stderr by default) and into
// `RidgeSolution::warnings`.
//
// Memory: kernel_ridge_in_place uses the caller's K as the workspace of the factorisation and
// restores it before returning, so the Cholesky path allocates nothing of size n × n. K must be
// symmetric (checked to a relative 1e-10); on return its lower triangle equals its upper one
// (bit-exact for a kernel computed on one triangle). kernel_ridge copies K once and is the
// convenient form. The eigen fallback needs one n × n eigenvector matrix.
#pragma once

#include <armadillo>
#include <limits>
#include <string>
#include <vector>

#include "core/solve/warnings.hpp"

namespace ntk::core::solve {

struct RidgeOptions {
  // Warn when the 1-norm condition-number estimate of K + λI exceeds this.
  double warn_condition = 1e12;
  // Estimate the condition number after a successful Cholesky (a few O(n²) triangular solves).
  bool estimate_condition = true;
  WarningSink on_warning;  // empty: print on stderr
};

struct RidgeSolution {
  arma::mat alpha;  // n × k, (K + λI)⁻¹ Yᵀ
  // "cholesky" or "eigen_pseudo_inverse" (the fallback).
  std::string method;
  // Condition number of K + λI: dpocon's 1-norm estimate after Cholesky, the exact 2-norm
  // ratio |μ|max / μmin from the eigenvalues in the fallback (inf when μmin ≤ 0); NaN when
  // not estimated.
  double condition_number = std::numeric_limits<double>::quiet_NaN();
  // Eigen-directions dropped by the pseudo-inverse (fallback only).
  arma::uword discarded = 0;
  std::vector<std::string> warnings;
};

// Copying form: K is left untouched.
RidgeSolution kernel_ridge(const arma::mat& K, const arma::mat& Y, double ridge,
                           const RidgeOptions& options = {});

// In-place form: K is the factorisation workspace and is restored before return (see above).
RidgeSolution kernel_ridge_in_place(arma::mat& K, const arma::mat& Y, double ridge,
                                    const RidgeOptions& options = {});

// Minimum-norm interpolation: kernel_ridge with λ = 0.
RidgeSolution interpolate(const arma::mat& K, const arma::mat& Y, const RidgeOptions& options = {});

// Predictions k × m from the m × n test-train kernel and the n × k coefficients.
arma::mat predict(const arma::mat& K_test_train, const arma::mat& alpha);

}  // namespace ntk::core::solve
