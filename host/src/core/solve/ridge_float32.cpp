#include "core/solve/ridge_float32.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

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

// δ = (K + λI)⁻¹ r by the float32 factor. r is scaled to max |r| = 1 first: late residuals are
// tiny, and float32 would flush them to subnormals or zero.
arma::mat float32_solve(const char* fn, const arma::fmat& factor, const arma::mat& r) {
  const double scale = arma::abs(r).max();
  if (scale == 0) return arma::mat(r.n_rows, r.n_cols, arma::fill::zeros);
  arma::fmat rhs = arma::conv_to<arma::fmat>::from(r / scale);
  const int n = static_cast<int>(factor.n_rows), k = static_cast<int>(r.n_cols);
  const char lower = 'L';
  int info = 0;
  spotrs_(&lower, &n, &k, factor.memptr(), &n, rhs.memptr(), &n, &info, 1);
  if (info != 0) throw_error(fn, ": spotrs failed with info ", info, " (internal error)");
  arma::mat delta = arma::conv_to<arma::mat>::from(rhs) * scale;
  if (!delta.is_finite())
    throw_error(fn, ": the float32 triangular solves overflowed (condition number too large "
                "for float32; use a larger ridge or the float64 solver)");
  return delta;
}

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
                {"float32 right-hand side", 4 * nk},
                {"per-thread residual sums and tiles",
                 float32_kernel::workspace_bytes(n, k, threads)},
                {"per-thread column sums of the check", 8 * dn * threads},
                {"condition estimate work", 16 * dn}};
  return plan;
}

MemoryPlan predict_float32_memory_plan(arma::uword m, arma::uword n, arma::uword k) {
  (void)n;
  const double mk = static_cast<double>(m) * static_cast<double>(k);
  MemoryPlan plan;
  plan.items = {{"predictions (float64, and their transpose)", 16 * mk},
                {"per-thread sums and tiles",
                 float32_kernel::workspace_bytes(m, k, omp_get_max_threads())}};
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

  const int ni = static_cast<int>(n);
  const char lower = 'L';
  int info = 0;
  spotrf_(&lower, &ni, K.memptr(), &ni, &info, 1);
  out.seconds.factorisation = lap(clock);
  if (info < 0) throw_error(fn, ": spotrf rejected argument ", -info, " (internal error)");
  if (info > 0) {
    // On failure spotrf leaves the non-positive Schur complement in the failing diagonal entry.
    const auto column = static_cast<arma::uword>(info - 1);
    throw_pivot_failure(fn, K(column, column), info, n, ridge, scan.one_norm,
                        options.max_condition);
  }

  const float anorm = static_cast<float>(scan.one_norm);
  float rcond = 0;
  std::vector<float> work(3 * n);
  std::vector<int> iwork(n);
  spocon_(&lower, &ni, K.memptr(), &ni, &anorm, &rcond, work.data(), iwork.data(), &info, 1);
  if (info != 0) throw_error(fn, ": spocon failed with info ", info, " (internal error)");
  out.seconds.condition = lap(clock);
  out.condition_number = rcond > 0 ? 1.0 / rcond : arma::datum::inf;
  if (!(out.condition_number <= options.max_condition))
    throw_error(fn, ": K + lambda*I (lambda = ", ridge, ") is too ill-conditioned for a float32 "
                "factorisation: condition number about ", format_number(out.condition_number),
                " (1-norm estimate, spocon), above max_condition = ",
                format_number(options.max_condition), "; with float32's epsilon ",
                format_number(kEpsilon32), " iterative refinement would not reach float64 "
                "accuracy (it needs condition * epsilon well below 1). The kernel is restored. "
                "Use a larger ridge (lambda >= about ",
                format_number(2.0 * scan.one_norm / options.max_condition),
                " = 2*|K|_1/max_condition) or solve in float64 (an ntk.matrix kernel)");

  // Iterative refinement (mixed precision: float32 factor, float64 residuals).
  const arma::mat targets = Y.t();
  const double target_norm = arma::norm(targets, "fro");
  arma::mat residual;
  out.alpha = float32_solve(fn, K, targets);
  if (target_norm == 0) {
    out.residual = 0;
  } else {
    float32_kernel::residual(K, diagonal, ridge, out.alpha, targets, residual);
    out.residual = arma::norm(residual, "fro") / target_norm;
  }
  out.residual_history.push_back(out.residual);
  while (out.residual > options.tolerance && out.refinement_steps < options.max_steps) {
    const arma::mat trial = out.alpha + float32_solve(fn, K, residual);
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
