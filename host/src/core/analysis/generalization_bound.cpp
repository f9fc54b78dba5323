#include "core/analysis/generalization_bound.hpp"

#include <cmath>

#include "core/solve/kernel_ridge.hpp"
#include "ntk/sdk/error.hpp"

namespace ntk::core::analysis {

GeneralizationBound generalization_bound(const arma::mat& H, const arma::vec& y,
                                         BoundNormalization normalize,
                                         const solve::WarningSink& on_warning) {
  const char* fn = "bound()";
  if (H.n_rows == 0 || H.n_rows != H.n_cols)
    throw_error(fn, ": H must be square and non-empty, got ", H.n_rows, " x ", H.n_cols);
  if (y.n_elem != H.n_rows)
    throw_error(fn, ": ", y.n_elem, " labels for a ", H.n_rows, " x ", H.n_cols, " kernel");
  for (arma::uword i = 0; i < y.n_elem; ++i)
    if (y[i] != 1.0 && y[i] != -1.0)
      throw_error(fn, ": label ", i + 1, " is ", y[i], "; the bound is stated for labels -1 or +1");

  GeneralizationBound out;
  if (normalize == BoundNormalization::HalfDiagonal) {
    const double mean_diagonal = arma::mean(H.diag());
    if (!(mean_diagonal > 0))
      throw_error(fn, ": normalize needs a positive mean diagonal, got ", mean_diagonal);
    out.scale = 0.5 / mean_diagonal;
  }
  solve::RidgeOptions options;
  options.on_warning = on_warning;
  // yᵀ(cH)⁻¹y = yᵀH⁻¹y / c: solve with H itself, no scaled copy.
  const solve::RidgeSolution solution = solve::kernel_ridge(H, y.t(), 0.0, options);
  out.quadratic_form = arma::dot(y, solution.alpha.col(0)) / out.scale;
  out.method = solution.method;
  out.condition_number = solution.condition_number;
  out.warnings = solution.warnings;
  if (!(out.quadratic_form >= 0))
    throw_error(fn, ": yᵀH⁻¹y = ", out.quadratic_form, " is negative; H is not positive definite");
  out.bound = std::sqrt(2.0 * out.quadratic_form / static_cast<double>(y.n_elem));
  return out;
}

}  // namespace ntk::core::analysis
