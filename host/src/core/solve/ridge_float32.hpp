// Kernel ridge regression / interpolation on a float32 kernel, in place, with iterative
// refinement to float64 accuracy (issue 14: a 60,000 × 60,000 kernel is 14.4 GB in float32 and
// does not fit twice, nor once in float64, on a 24 GB machine).
//
//   alpha = (K + λI)⁻¹ Yᵀ     K: n × n float32, symmetric; Y: k × n (examples are columns);
//                             alpha: n × k float64 — the same shapes as kernel_ridge.hpp.
//
// The solve uses no second n × n matrix:
//  1. one blocked pass checks K (finite, symmetric) and computes ‖K + λI‖₁; the diagonal of K is
//     saved in float64 and λ added to it; K + λI is factorised in K's lower triangle (spotrf's
//     factor, by a blocked driver that reports progress: blocked_cholesky.hpp), while the
//     strict upper triangle keeps K;
//  2. iterative refinement: α₀ from the float32 factor, then r = Yᵀ − (K + λI)α in float64 from
//     the stored triangle (float32_kernel::residual, tiles summed in float64), δ from the factor,
//     α += δ, until ‖r‖_F/‖Y‖_F ≤ tolerance or the residual stops decreasing;
//  3. the condition number ‖K + λI‖₁·‖(K + λI)⁻¹‖₁ is estimated from the factor by LAPACK's
//     estimator (slacn2, the one spocon uses), whose vectors ride along as one more column of
//     the refinement's solves (float32_factor.hpp); the solve is refused as soon as the estimate
//     shows that refinement from a float32 factor cannot converge (it converges when
//     cond₂ · ε₃₂ is below about 1; Higham, "Accuracy and Stability of Numerical Algorithms",
//     2nd ed., §12.1; Carson & Higham, SIAM J. Sci. Comput. 40(2), 2018; the default threshold
//     on the 1-norm estimate is measured, see Float32RidgeOptions::max_condition);
//  4. K is restored (lower triangle from the upper one, diagonal from the saved vector) — bit
//     for bit when K was exactly symmetric — also when the solve throws.
//
// Refusals (ntk::Error): a non-finite entry of K (the first, 1-based (i, j), before anything is
// changed); spotrf failing at column j (the message names j, the pivot and the ridge that would
// help; K restored); a condition estimate above `max_condition` (K restored); a final residual
// above `max_residual`; working memory beyond sdk::memory_limit() (before allocating, with the
// plan). A final residual between `tolerance` and `max_residual` gives a warning.
#pragma once

#include <armadillo>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/solve/warnings.hpp"
#include "ntk/sdk/progress.hpp"

namespace ntk::core::solve {

struct Float32RidgeOptions {
  // Stop refining when ‖Yᵀ − (K + λI)α‖_F / ‖Y‖_F is at most this.
  double tolerance = 1e-10;
  // Refinement steps at most (each: one residual, 2kn² flops in float64, and one float32 solve).
  int max_steps = 20;
  // Refuse when the 1-norm condition estimate of K + λI exceeds this. Each refinement step
  // multiplies the error by about 0.1-0.2 · cond₂ · ε₃₂ (ε₃₂ = 2⁻²³ ≈ 1.2e-7), so it converges
  // up to cond₂ ≈ 1e7 and fails from about 3e7; the 1-norm estimate is 7-70 times cond₂
  // (more for larger n). Measured (n = 1000, 3000; random spectra, RBF kernels with small λ):
  // every estimate ≤ 2.4e8 converged (≤ 14 steps), estimates from 7.6e8 up could fail.
  double max_condition = 3e8;
  // Throw when the final relative residual is above this (refinement did not converge).
  double max_residual = 1e-6;
  // Asymmetry |K(i,j) − K(j,i)| / (|K(i,j)| + |K(j,i)|) accepted (the upper triangle is used and
  // restores the lower one); above it the kernel is refused.
  double symmetry_tolerance = 1e-5;
  // Restore K after the solve. false: K's lower triangle and diagonal keep the Cholesky factor
  // (K is then unusable; it saves one pass over K).
  bool keep_kernel = true;
  WarningSink on_warning;  // empty: print on stderr
  // Receives the factorisation's flop-weighted progress (blocked_cholesky.hpp). Null: a bar or
  // plain lines on stderr for a factorisation longer than 2 s (FactorisationProgress), silent
  // when progress is switched off (NTKLAB_PROGRESS=0).
  sdk::ProgressSink* progress = nullptr;
};

// Wall-clock seconds of the solve's phases (the issue 14 run reports its time split).
struct Float32RidgeTimings {
  double check = 0;          // the pass over K: finite, symmetric, ‖K + λI‖₁
  double factorisation = 0;  // the Cholesky factorisation (spotrf's, blocked_cholesky.hpp)
  double refinement = 0;     // the first solve and every step (residuals and solves)
  double condition = 0;      // the estimator's solves after the refinement's (often none)
  double restore = 0;        // K's lower triangle and diagonal back
};

struct Float32RidgeSolution {
  arma::mat alpha;  // n × k, float64
  std::string method = "cholesky_float32_refined";
  // The 1-norm estimate of the condition number of K + λI (slacn2, as spocon).
  double condition_number = std::numeric_limits<double>::quiet_NaN();
  // ‖Yᵀ − (K + λI)α‖_F / ‖Y‖_F in float64 from the stored float32 K (0 when Y = 0).
  double residual = std::numeric_limits<double>::quiet_NaN();
  // Corrections applied after the first float32 solve.
  int refinement_steps = 0;
  // The relative residual after the first solve and after each accepted correction.
  std::vector<double> residual_history;
  bool kernel_restored = false;
  Float32RidgeTimings seconds;
  std::vector<std::string> warnings;
};

// What a call needs besides its arguments, item by item, in bytes.
struct MemoryPlan {
  std::vector<std::pair<std::string, double>> items;
  double total() const;
  // "alpha 4.8 MB, residual 4.8 MB, ..." and the total.
  std::string describe() const;
  // Throws ntk::Error naming `what`, the plan, and the memory limit (sdk::memory_limit()) with
  // what bounds it, when the total does not fit.
  void check(const std::string& what) const;
};

MemoryPlan ridge_float32_memory_plan(arma::uword n, arma::uword k);
MemoryPlan predict_float32_memory_plan(arma::uword m, arma::uword n, arma::uword k);

// K is the factorisation's workspace; it is restored before returning unless keep_kernel is false.
Float32RidgeSolution kernel_ridge_float32(arma::fmat& K, const arma::mat& Y, double ridge,
                                          const Float32RidgeOptions& options = {});

// Minimum-norm interpolation: λ = 0.
Float32RidgeSolution interpolate_float32(arma::fmat& K, const arma::mat& Y,
                                         const Float32RidgeOptions& options = {});

// Predictions k × m = (K_test_train α)ᵀ from a float32 m × n test-train kernel, accumulated in
// float64 a tile at a time (no float64 copy of K_test_train).
arma::mat predict_float32(const arma::fmat& K_test_train, const arma::mat& alpha);

}  // namespace ntk::core::solve
