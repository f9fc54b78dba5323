#include "core/solve/ridge_float32.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "core/solve/blocked_cholesky.hpp"
#include "core/solve/factorisation_progress.hpp"
#include "core/solve/float32_factor.hpp"
#include "core/solve/float32_kernel.hpp"
#include "core/solve/lapack_float32.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

constexpr double kEpsilon32 = std::numeric_limits<float>::epsilon();  // 2^-23 ≈ 1.19e-7

std::string format_number(double x) {
  std::ostringstream out;
  out.precision(3);
  out << x;
  return out.str();
}

std::string format_bytes(double bytes) {
  std::ostringstream out;
  out.precision(3);
  if (bytes >= 1e9) out << bytes / 1e9 << " GB";
  else if (bytes >= 1e6) out << bytes / 1e6 << " MB";
  else out << bytes / 1e3 << " kB";
  return out.str();
}

void check_arguments(const char* fn, const arma::fmat& K, const arma::mat& Y, double ridge) {
  if (K.n_rows == 0 || K.n_rows != K.n_cols)
    throw_error(fn, ": the kernel must be square and non-empty, got ", K.n_rows, " x ", K.n_cols);
  if (Y.n_cols != K.n_rows)
    throw_error(fn, ": targets Y are ", Y.n_rows, " x ", Y.n_cols, " but the kernel is ", K.n_rows,
                " x ", K.n_cols, "; Y must be k x n (one column per training example)");
  if (Y.n_rows == 0) throw_error(fn, ": targets Y have no rows (outputs)");
  if (!std::isfinite(ridge) || ridge < 0)
    throw_error(fn, ": ridge must be a finite number >= 0, got ", ridge);
  if (K.n_rows > static_cast<arma::uword>(std::numeric_limits<int>::max()) ||
      Y.n_rows > static_cast<arma::uword>(std::numeric_limits<int>::max()))
    throw_error(fn, ": n = ", K.n_rows, " or k = ", Y.n_rows, " exceeds LAPACK's int range");
  sdk::check_finite(std::string(fn) + " targets", Y);
}

// Restores K on every way out of the solve once its lower triangle has been overwritten:
// success (unless keep_kernel is false) and each exception alike.
class KernelRestorer {
 public:
  KernelRestorer(arma::fmat& K, const arma::vec& diagonal) : K_(K), diagonal_(diagonal) {}
  ~KernelRestorer() {
    if (armed_) float32_kernel::restore(K_, diagonal_);
  }
  void release() { armed_ = false; }
  KernelRestorer(const KernelRestorer&) = delete;
  KernelRestorer& operator=(const KernelRestorer&) = delete;

 private:
  arma::fmat& K_;
  const arma::vec& diagonal_;
  bool armed_ = true;
};

// The float32 solves of the refinement, δ = (K + λI)⁻¹ r by the factor. Each also carries the
// condition estimator's vector as one more column while the estimator wants solves (a solve costs
// about the same with one column more; see float32_factor.hpp).
class FactorSolver {
 public:
  FactorSolver(const char* fn, const arma::fmat& factor)
      : fn_(fn), factor_(factor), estimator_(factor.n_rows) {}

  arma::mat solve(const arma::mat& r) {
    const arma::uword n = factor_.n_rows, k = r.n_cols;
    const bool carry = !estimate_done();
    arma::fmat rhs(n, k + (carry ? 1 : 0));
    // Scaled to max |r| = 1: late residuals are tiny, and float32 would flush them to zero.
    const double scale = arma::abs(r).max();
    rhs.cols(0, k - 1) = scale > 0 ? arma::conv_to<arma::fmat>::from(r / scale)
                                   : arma::fmat(n, k, arma::fill::zeros);
    if (carry) std::copy_n(estimator_.vector(), n, rhs.colptr(k));
    float32_factor::solve_with_factor(factor_, rhs);
    if (carry) take_estimator_column(rhs.colptr(k));
    arma::mat delta = arma::conv_to<arma::mat>::from(rhs.cols(0, k - 1)) * scale;
    if (!delta.is_finite())
      throw_error(fn_, ": the float32 triangular solves overflowed (condition number too large "
                  "for float32; use a larger ridge or the float64 solver)");
    return delta;
  }

  // The estimator's remaining solves, one column each.
  void finish_estimate() {
    arma::fmat column(factor_.n_rows, 1);
    while (!estimate_done()) {
      std::copy_n(estimator_.vector(), column.n_rows, column.memptr());
      float32_factor::solve_with_factor(factor_, column);
      take_estimator_column(column.memptr());
    }
  }

  bool estimate_done() const { return overflow_ || estimator_.done(); }
  // ‖(K + λI)⁻¹‖₁ (infinite when a solve of the estimator overflowed float32).
  double inverse_norm() const { return overflow_ ? arma::datum::inf : estimator_.estimate(); }

 private:
  void take_estimator_column(const float* x) {
    const arma::uword n = factor_.n_rows;
    if (!std::all_of(x, x + n, [](float v) { return std::isfinite(v); })) {
      overflow_ = true;
      return;
    }
    std::copy_n(x, n, estimator_.vector());
    estimator_.solved();
  }

  const char* fn_;
  const arma::fmat& factor_;
  float32_factor::InverseNormEstimator estimator_;
  bool overflow_ = false;
};

[[noreturn]] void throw_pivot_failure(const char* fn, double pivot, int column, arma::uword n,
                                      double ridge, double one_norm, double max_condition) {
  // A larger λ raises every Schur complement by at least the increase, so λ + |pivot| makes the
  // first `column` leading minors positive definite; 2‖K‖₁/max_condition keeps the condition
  // number of a positive semi-definite K + λI within reach of refinement.
  const double conditioned = 2.0 * one_norm / max_condition;
  const double suggestion = std::max(ridge + std::abs(pivot), conditioned);
  throw_error(fn, ": K + lambda*I (lambda = ", ridge, ") is not positive definite in float32: "
              "the Cholesky factorisation (spotrf) failed at column ", column, " of ", n,
              " where the pivot is ", format_number(pivot), " (<= 0). The kernel is restored. "
              "Use a ridge: lambda of about ", format_number(suggestion), " (at least ",
              format_number(ridge + std::abs(pivot)), " for this pivot, and >= ",
              format_number(conditioned), " = 2*|K|_1/max_condition for float32 refinement "
              "to converge), or solve in float64 (an ntk.matrix kernel)");
}

// Seconds since `start`, and `start` moved to now.
double lap(std::chrono::steady_clock::time_point& start) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start).count();
  start = now;
  return seconds;
}

}  // namespace

double MemoryPlan::total() const {
  double sum = 0;
  for (const auto& item : items) sum += item.second;
  return sum;
}

std::string MemoryPlan::describe() const {
  std::ostringstream out;
  out << format_bytes(total()) << " (";
  for (std::size_t i = 0; i < items.size(); ++i)
    out << (i ? ", " : "") << items[i].first << " " << format_bytes(items[i].second);
  out << ")";
  return out.str();
}

void MemoryPlan::check(const std::string& what) const {
  const double bytes = total();
  if (bytes < 16e6 && !std::getenv("NTKLAB_MAX_BYTES")) return;  // as sdk::check_allocation
  const sdk::MemoryLimit limit = sdk::memory_limit();
  if (bytes > limit.bytes)
    throw_error(what, " needs ", describe(), ", more than the ", format_bytes(limit.bytes),
                " available (bounded by ", limit.source,
                "; set NTKLAB_MAX_BYTES to change the RAM share)");
}

MemoryPlan ridge_float32_memory_plan(arma::uword n, arma::uword k) {
  const double nk = static_cast<double>(n) * static_cast<double>(k), dn = static_cast<double>(n);
  const int threads = omp_get_max_threads();
  MemoryPlan plan;
  plan.items = {{"saved diagonal", 8 * dn},
                {"targets, alpha, correction and residual (float64 n x k, 2 of each)", 8 * 7 * nk},
                {"float32 right-hand side (and the estimator's column)", 4 * (nk + dn)},
                {"residual product and per-thread tiles",
                 float32_kernel::workspace_bytes(n, k, threads)},
                {"per-thread column sums of the check", 8 * dn * threads},
                {"condition estimator", 16 * dn}};
  return plan;
}

MemoryPlan predict_float32_memory_plan(arma::uword m, arma::uword n, arma::uword k) {
  (void)n;
  const double mk = static_cast<double>(m) * static_cast<double>(k);
  MemoryPlan plan;
  plan.items = {{"predictions (float64, and their transpose)", 16 * mk}};
  return plan;
}

Float32RidgeSolution kernel_ridge_float32(arma::fmat& K, const arma::mat& Y, double ridge,
                                          const Float32RidgeOptions& options) {
  const char* fn = "kernel_ridge_float32()";
  check_arguments(fn, K, Y, ridge);
  const arma::uword n = K.n_rows, k = Y.n_rows;
  ridge_float32_memory_plan(n, k).check(std::string(fn) + ": besides the " + std::to_string(n) +
                                        " x " + std::to_string(n) + " float32 kernel (" +
                                        format_bytes(4.0 * double(n) * double(n)) +
                                        ", used in place) the solve");
  auto clock = std::chrono::steady_clock::now();
  const float32_kernel::Scan scan = float32_kernel::scan(fn, K, ridge, options.symmetry_tolerance);

  Float32RidgeSolution out;
  out.seconds.check = lap(clock);
  if (scan.max_asymmetry > 0)
    emit_warning(options.on_warning, out.warnings,
                 std::string(fn) + ": the kernel is not exactly symmetric (largest relative "
                 "difference " + format_number(scan.max_asymmetry) + " at (" +
                 std::to_string(scan.asymmetry_row + 1) + ", " +
                 std::to_string(scan.asymmetry_col + 1) + ")); the solve uses its upper "
                 "triangle, which is copied to the lower one when K is restored");

  const arma::vec diagonal = arma::conv_to<arma::vec>::from(K.diag());
  KernelRestorer restorer(K, diagonal);
  for (arma::uword j = 0; j < n; ++j) K(j, j) = static_cast<float>(diagonal[j] + ridge);

  // spotrf's factor by panels, with progress (blocked_cholesky.hpp): minutes at n = 60,000.
  const int ni = static_cast<int>(n);
  FactorisationProgress on_stderr(fn, n, "float32");
  const int info = cholesky_lower_blocked(
      K.memptr(), ni, ni, options.progress != nullptr ? options.progress : &on_stderr);
  out.seconds.factorisation = lap(clock);
  if (info < 0) throw_error(fn, ": spotrf rejected argument ", -info, " (internal error)");
  if (info == 0) on_stderr.finish();
  if (info > 0) {
    // On failure spotrf leaves the non-positive Schur complement in the failing diagonal entry;
    // the blocked driver reports the matrix's column (1-based), not the panel's.
    const auto column = static_cast<arma::uword>(info - 1);
    throw_pivot_failure(fn, K(column, column), info, n, ridge, scan.one_norm,
                        options.max_condition);
  }

  // Refused as soon as the estimate is known (during the refinement or after it).
  FactorSolver solver(fn, K);
  const auto check_condition = [&] {
    if (!solver.estimate_done()) return;
    out.condition_number = scan.one_norm * solver.inverse_norm();
    if (!(out.condition_number <= options.max_condition))
      throw_error(fn, ": K + lambda*I (lambda = ", ridge, ") is too ill-conditioned for a float32 "
                  "factorisation: condition number about ", format_number(out.condition_number),
                  " (1-norm estimate from the factor, as spocon's), above max_condition = ",
                  format_number(options.max_condition), "; with float32's epsilon ",
                  format_number(kEpsilon32), " iterative refinement would not reach float64 "
                  "accuracy (it needs condition * epsilon below about 1). The kernel is restored. "
                  "Use a larger ridge (lambda >= about ",
                  format_number(2.0 * scan.one_norm / options.max_condition),
                  " = 2*|K|_1/max_condition) or solve in float64 (an ntk.matrix kernel)");
  };

  // Iterative refinement (mixed precision: float32 factor, float64 residuals).
  const arma::mat targets = Y.t();
  const double target_norm = arma::norm(targets, "fro");
  arma::mat residual;
  out.alpha = solver.solve(targets);
  check_condition();
  if (target_norm == 0) {
    out.residual = 0;
  } else {
    float32_kernel::residual(K, diagonal, ridge, out.alpha, targets, residual);
    out.residual = arma::norm(residual, "fro") / target_norm;
  }
  out.residual_history.push_back(out.residual);
  while (out.residual > options.tolerance && out.refinement_steps < options.max_steps) {
    const arma::mat trial = out.alpha + solver.solve(residual);
    check_condition();
    arma::mat trial_residual;
    float32_kernel::residual(K, diagonal, ridge, trial, targets, trial_residual);
    const double trial_norm = arma::norm(trial_residual, "fro") / target_norm;
    if (!(trial_norm < out.residual)) break;  // stopped decreasing: keep the best
    out.alpha = trial;
    residual = std::move(trial_residual);
    out.residual = trial_norm;
    out.residual_history.push_back(trial_norm);
    ++out.refinement_steps;
  }
  out.seconds.refinement = lap(clock);
  solver.finish_estimate();
  check_condition();
  out.seconds.condition = lap(clock);

  restorer.release();
  if (options.keep_kernel) {
    float32_kernel::restore(K, diagonal);
    out.kernel_restored = true;
    out.seconds.restore = lap(clock);
  }
  if (!(out.residual <= options.max_residual))
    throw_error(fn, ": iterative refinement did not converge: relative residual ",
                format_number(out.residual), " after ", out.refinement_steps,
                " steps (condition number about ", format_number(out.condition_number),
                "; max_residual = ", format_number(options.max_residual),
                "). Use a larger ridge or solve in float64 (an ntk.matrix kernel)");
  if (out.residual > options.tolerance)
    emit_warning(options.on_warning, out.warnings,
                 std::string(fn) + ": iterative refinement stopped at relative residual " +
                     format_number(out.residual) + " after " +
                     std::to_string(out.refinement_steps) + " steps, above the tolerance " +
                     format_number(options.tolerance) + " (condition number about " +
                     format_number(out.condition_number) + ")");
  return out;
}

Float32RidgeSolution interpolate_float32(arma::fmat& K, const arma::mat& Y,
                                         const Float32RidgeOptions& options) {
  return kernel_ridge_float32(K, Y, 0.0, options);
}

arma::mat predict_float32(const arma::fmat& K_test_train, const arma::mat& alpha) {
  if (K_test_train.n_cols != alpha.n_rows)
    throw_error("predict_float32(): the test-train kernel is ", K_test_train.n_rows, " x ",
                K_test_train.n_cols, " but alpha is ", alpha.n_rows, " x ", alpha.n_cols,
                "; the kernel needs one column per training example (alpha's rows)");
  predict_float32_memory_plan(K_test_train.n_rows, K_test_train.n_cols, alpha.n_cols)
      .check("predict_float32()");
  return float32_kernel::times(K_test_train, alpha).t();
}

}  // namespace ntk::core::solve
