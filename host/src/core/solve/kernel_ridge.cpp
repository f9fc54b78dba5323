#include "core/solve/kernel_ridge.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

#include "core/solve/blocked_cholesky.hpp"
#include "core/solve/factorisation_progress.hpp"
#include "core/solve/lapack.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::solve {
namespace {

constexpr arma::uword kBlock = 64;

void check_arguments(const char* fn, const arma::mat& K, const arma::mat& Y, double ridge) {
  if (K.n_rows == 0 || K.n_rows != K.n_cols)
    throw_error(fn, ": the kernel must be square and non-empty, got ", K.n_rows, " x ", K.n_cols);
  if (Y.n_cols != K.n_rows)
    throw_error(fn, ": targets Y are ", Y.n_rows, " x ", Y.n_cols, " but the kernel is ", K.n_rows,
                " x ", K.n_cols, "; Y must be k x n (one column per training example)");
  if (Y.n_rows == 0) throw_error(fn, ": targets Y have no rows (outputs)");
  if (!std::isfinite(ridge) || ridge < 0)
    throw_error(fn, ": ridge must be a finite number >= 0, got ", ridge);
  sdk::check_finite(std::string(fn) + " targets", Y);
  if (K.n_rows > static_cast<arma::uword>(std::numeric_limits<int>::max()))
    throw_error(fn, ": n = ", K.n_rows, " exceeds LAPACK's int range");
}

// One blocked pass over the kernel: finite values, symmetry to a relative 1e-10, and the
// 1-norm of K + λI (LAPACK's dpocon needs it). Reading the two triangles block by block keeps
// the transposed access in cache; column blocks are shared among threads, each with its own
// column sums, and the first bad entry (in column-block order) is reported after the loop.
double check_symmetric_one_norm(const char* fn, const arma::mat& K, double ridge) {
  const arma::uword n = K.n_rows;
  const arma::uword blocks = (n + kBlock - 1) / kBlock;
  arma::mat column_sums(n, static_cast<arma::uword>(omp_get_max_threads()), arma::fill::zeros);
  // Per column block: 0 fine, 1 non-finite, 2 asymmetric; and where.
  std::vector<int> problem(blocks, 0);
  std::vector<std::pair<arma::uword, arma::uword>> where(blocks);
#pragma omp parallel for schedule(dynamic)
  for (arma::uword b = 0; b < blocks; ++b) {
    double* sums = column_sums.colptr(static_cast<arma::uword>(omp_get_thread_num()));
    const arma::uword jb = b * kBlock, je = std::min(n, jb + kBlock);
    for (arma::uword ib = jb; ib < n && problem[b] == 0; ib += kBlock) {
      const arma::uword ie = std::min(n, ib + kBlock);
      for (arma::uword j = jb; j < je && problem[b] == 0; ++j) {
        for (arma::uword i = std::max(ib, j); i < ie; ++i) {
          const double lower = K(i, j), upper = K(j, i);
          if (!std::isfinite(lower) || !std::isfinite(upper)) {
            problem[b] = 1;
            where[b] = {i, j};
            break;
          }
          if (std::abs(lower - upper) > 1e-10 * (std::abs(lower) + std::abs(upper)) + 1e-300) {
            problem[b] = 2;
            where[b] = {i, j};
            break;
          }
          if (i == j) {
            sums[j] += std::abs(lower + ridge);
          } else {
            sums[j] += std::abs(lower);
            sums[i] += std::abs(lower);
          }
        }
      }
    }
  }
  for (arma::uword b = 0; b < blocks; ++b) {
    const auto [i, j] = where[b];
    if (problem[b] == 1)
      throw_error(fn, ": the kernel has a non-finite entry at (", i + 1, ", ", j + 1, ")");
    if (problem[b] == 2)
      throw_error(fn, ": the kernel is not symmetric: K(", i + 1, ", ", j + 1, ") = ", K(i, j),
                  " but K(", j + 1, ", ", i + 1, ") = ", K(j, i));
  }
  return arma::sum(column_sums, 1).max();
}

// Restores the strict lower triangle from the upper one and the diagonal from `diagonal`.
void restore_lower(arma::mat& K, const arma::vec& diagonal) {
  const arma::uword n = K.n_rows;
#pragma omp parallel for schedule(dynamic)
  for (arma::uword jb = 0; jb < n; jb += kBlock) {
    const arma::uword je = std::min(n, jb + kBlock);
    for (arma::uword ib = jb; ib < n; ib += kBlock) {
      const arma::uword ie = std::min(n, ib + kBlock);
      for (arma::uword j = jb; j < je; ++j)
        for (arma::uword i = std::max(ib, j + 1); i < ie; ++i) K(i, j) = K(j, i);
    }
  }
  K.diag() = diagonal;
}

std::string format_number(double x) {
  std::ostringstream out;
  out.precision(3);
  out << x;
  return out.str();
}

// Eigen fallback: alpha = V diag(1/μ) Vᵀ Yᵀ over eigenvalues μ of K + λI above the
// pseudo-inverse tolerance n·eps·max|μ| (the default of numpy.linalg.pinv / arma::pinv).
void eigen_fallback(const char* fn, const arma::mat& K, const arma::mat& Y, double ridge,
                    int failed_minor, const RidgeOptions& options, RidgeSolution& out) {
  arma::vec mu;
  arma::mat V;
  if (!arma::eig_sym(mu, V, K, "dc"))
    throw_error(fn, ": the eigen-decomposition of the kernel (fallback after Cholesky failed at "
                "leading minor ", failed_minor, ") did not converge");
  mu += ridge;
  const double mu_max = arma::abs(mu).max();
  const double mu_min = mu.min();
  const double tolerance = static_cast<double>(K.n_rows) * arma::datum::eps * mu_max;
  const arma::uvec keep = arma::find(mu > tolerance);
  out.method = "eigen_pseudo_inverse";
  out.condition_number = mu_min > 0 ? mu_max / mu_min : arma::datum::inf;
  out.discarded = K.n_rows - keep.n_elem;

  std::ostringstream message;
  message << fn << ": Cholesky of K + " << ridge << "*I failed at leading minor " << failed_minor
          << " (not numerically positive definite); condition number "
          << format_number(out.condition_number) << " (eigenvalues from " << format_number(mu_min)
          << " to " << format_number(mu_max) << "); using the eigen pseudo-inverse, dropping "
          << out.discarded << " of " << K.n_rows << " directions with eigenvalue <= "
          << format_number(tolerance);
  if (mu_min < -std::sqrt(arma::datum::eps) * mu_max)
    message << "; the kernel has a clearly negative eigenvalue, it is not positive semi-definite";
  emit_warning(options.on_warning, out.warnings, message.str());

  const arma::mat Vk = V.cols(keep);
  arma::mat coefficients = Vk.t() * Y.t();  // r × k
  coefficients.each_col() /= mu.elem(keep);
  out.alpha = Vk * coefficients;
}

}  // namespace

RidgeSolution kernel_ridge_in_place(arma::mat& K, const arma::mat& Y, double ridge,
                                    const RidgeOptions& options) {
  const char* fn = "kernel_ridge()";
  check_arguments(fn, K, Y, ridge);
  const double one_norm = check_symmetric_one_norm(fn, K, ridge);
  const int n = static_cast<int>(K.n_rows);
  const int k = static_cast<int>(Y.n_rows);
  const char lower = 'L';

  RidgeSolution out;
  const arma::vec diagonal = K.diag();
  K.diag() += ridge;
  int info = 0;
  {
    // dpotrf's factor by panels, with progress on stderr for long factorisations
    // (blocked_cholesky.hpp, factorisation_progress.hpp).
    FactorisationProgress progress(fn, K.n_rows, "float64");
    info = cholesky_lower_blocked(K.memptr(), n, n, &progress);
    if (info == 0) progress.finish();
  }
  if (info < 0) throw_error(fn, ": dpotrf rejected argument ", -info, " (internal error)");
  if (info > 0) {
    restore_lower(K, diagonal);
    eigen_fallback(fn, K, Y, ridge, info, options, out);
    return out;
  }

  out.method = "cholesky";
  out.alpha = Y.t();
  dpotrs_(&lower, &n, &k, K.memptr(), &n, out.alpha.memptr(), &n, &info, 1);
  if (info != 0) throw_error(fn, ": dpotrs failed with info ", info, " (internal error)");

  if (options.estimate_condition) {
    double rcond = 0;
    std::vector<double> work(3 * static_cast<std::size_t>(n));
    std::vector<int> iwork(static_cast<std::size_t>(n));
    dpocon_(&lower, &n, K.memptr(), &n, &one_norm, &rcond, work.data(), iwork.data(), &info, 1);
    out.condition_number = rcond > 0 ? 1.0 / rcond : arma::datum::inf;
    if (out.condition_number > options.warn_condition)
      emit_warning(options.on_warning, out.warnings,
                   std::string(fn) + ": K + " + format_number(ridge) +
                       "*I is ill-conditioned: condition number about " +
                       format_number(out.condition_number) + " (1-norm estimate); about " +
                       format_number(std::log10(out.condition_number)) +
                       " digits of the solution may be lost (a ridge > 0 helps)");
  }
  restore_lower(K, diagonal);
  if (!out.alpha.is_finite())
    throw_error(fn, ": the solution has non-finite values (condition number ",
                format_number(out.condition_number), ")");
  return out;
}

RidgeSolution kernel_ridge(const arma::mat& K, const arma::mat& Y, double ridge,
                           const RidgeOptions& options) {
  check_arguments("kernel_ridge()", K, Y, ridge);
  sdk::check_allocation("kernel_ridge(): the copy of the kernel", K.n_rows, K.n_cols);
  arma::mat workspace = K;
  return kernel_ridge_in_place(workspace, Y, ridge, options);
}

RidgeSolution interpolate(const arma::mat& K, const arma::mat& Y, const RidgeOptions& options) {
  return kernel_ridge(K, Y, 0.0, options);
}

arma::mat predict(const arma::mat& K_test_train, const arma::mat& alpha) {
  if (K_test_train.n_cols != alpha.n_rows)
    throw_error("predict(): the test-train kernel is ", K_test_train.n_rows, " x ",
                K_test_train.n_cols, " but alpha is ", alpha.n_rows, " x ", alpha.n_cols,
                "; the kernel needs one column per training example (alpha's rows)");
  return (K_test_train * alpha).t();
}

}  // namespace ntk::core::solve
